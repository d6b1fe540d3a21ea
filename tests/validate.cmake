# The randomized ngspice suite, a subset sized for ctest (about a minute):
# 600 circuits up to 64x64 (three at 64^2, the thin shapes 1x64, 64x1, 37x5).
add_test(NAME validate_subset COMMAND xbar validate --count 600 --max-size 64 --seed 7)
set_tests_properties(validate_subset PROPERTIES
  PASS_REGULAR_EXPRESSION "max_rel_err: [0-9.e+-]+"
  TIMEOUT 300)
add_test(NAME solve_help COMMAND xbar solve --help)
set_tests_properties(solve_help PROPERTIES PASS_REGULAR_EXPRESSION "--conductances")
# Nonlinear devices (NMOS access, sinh cells): Newton against ngspice, 1e-6.
add_test(NAME validate_nonlinear_subset COMMAND xbar validate --nonlinear --count 60 --max-size 24 --seed 3)
set_tests_properties(validate_nonlinear_subset PROPERTIES
  PASS_REGULAR_EXPRESSION "max_rel_err: [0-9.e+-]+"
  TIMEOUT 300)
