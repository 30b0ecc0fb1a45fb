/* demo.h: `rcid demo`, the local command that loads the demo data — three
 * years of plausible, deterministic values of the starter catalogue for the
 * ten cities of the 深莞惠+汕尾、河源 and 广佛肇+清远、云浮 circles, as the
 * agencies would have reported them (some late, some corrected, a few
 * missing) — straight into the database (DESIGN §6 "Demo data"). */
#ifndef RCID_DEMO_H
#define RCID_DEMO_H

/* argv[0] is "demo". Returns the process exit status: 0 done (or the demo
 * data was already there), 1 failed, 2 usage error. */
int rcid_demo_main(int argc, char **argv);

#endif
