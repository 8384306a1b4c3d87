/*
 * version.h: the one version string of postern, which every program
 * prints for --version.
 *
 * Compiled into every program;
 * trusts nothing and reads nothing.  Change it here, in one place, when a
 * release is cut.
 */
#ifndef POSTERN_VERSION_H
#define POSTERN_VERSION_H

#define POSTERN_VERSION	"0.1.0"

/* The line --version prints on stdout: "authd (postern) 0.1.0". */
#define VERSION_LINE(prog)	prog " (postern) " POSTERN_VERSION "\n"

#endif
