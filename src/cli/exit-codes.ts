/** Exit codes: 1 for anything that went wrong, 2 when the command line itself was wrong (commander's usage errors). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
