# The randomized ngspice suite, subsets sized for ctest.  PASS_REGULAR_EXPRESSION
# alone would ignore the exit status, so a circuit above the tolerance fails the
# test through FAIL_REGULAR_EXPRESSION.
#
# Linear: 600 circuits up to 64x64 (three at 64^2, the thin shapes 1x64, 64x1,
# 37x5), gate-input with ideal, column and row source lines; about 20 s.
add_test(NAME validate_subset COMMAND xbar validate --count 600 --max-size 64 --seed 7)
set_tests_properties(validate_subset PROPERTIES
  PASS_REGULAR_EXPRESSION "max_rel_err: [0-9.e+-]+"
  FAIL_REGULAR_EXPRESSION "above tolerance"
  TIMEOUT 300)
add_test(NAME solve_help COMMAND xbar solve --help)
set_tests_properties(solve_help PROPERTIES PASS_REGULAR_EXPRESSION "--conductances")
# Nonlinear devices (NMOS access, sinh cells): Newton and the column backend's
# ladders against ngspice, 1e-6; about a second.
add_test(NAME validate_nonlinear_subset COMMAND xbar validate --nonlinear --count 60 --max-size 24 --seed 3)
set_tests_properties(validate_nonlinear_subset PROPERTIES
  PASS_REGULAR_EXPRESSION "max_rel_err: [0-9.e+-]+"
  FAIL_REGULAR_EXPRESSION "above tolerance"
  TIMEOUT 300)
# The full-size tiles (1152x4 gate-input at R^p = 1e-4, one per source line):
# NMOS access against Newton/KLU and the ladders (a few seconds), and linear
# access against CHOLMOD, KLU and the column backend.
add_test(NAME validate_full_size_nonlinear COMMAND xbar validate --nonlinear --full-size --count 0)
set_tests_properties(validate_full_size_nonlinear PROPERTIES
  PASS_REGULAR_EXPRESSION "1152x4 sl-row .*max_rel_err: [0-9.e+-]+"
  FAIL_REGULAR_EXPRESSION "above tolerance"
  TIMEOUT 120)
add_test(NAME validate_full_size COMMAND xbar validate --full-size --count 0)
set_tests_properties(validate_full_size PROPERTIES
  PASS_REGULAR_EXPRESSION "1152x4 sl-row .*max_rel_err: [0-9.e+-]+"
  FAIL_REGULAR_EXPRESSION "above tolerance"
  TIMEOUT 300)
