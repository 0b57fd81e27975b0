// Graceful stops. The first SIGINT or SIGTERM asks training to stop after the
// step in progress: the run checkpoints, is recorded as interrupted, and the
// process exits with 128 + the signal (130, 143). A second SIGINT or SIGTERM ends
// the process at once. The handler only sets a flag; everything else happens on
// the training thread, where it is safe.
#pragma once

#include <string>

namespace torchsweep {

/// Installs the handlers (idempotent). Called by the CLI for commands that train.
void install_interrupt_handlers();

/// The signal that asked this process to stop, or 0.
int interrupt_signal();

/// Asks for a stop as if `signal` had arrived (the coordinator forwards signals
/// this way; tests use it).
void request_interrupt(int signal);

/// Forgets a requested stop (tests).
void clear_interrupt();

/// "SIGINT", "SIGTERM", or "signal N", for messages.
std::string signal_name(int signal);

/// The exit code for a stop by `signal`: 128 + signal.
int exit_code_for_signal(int signal);

}  // namespace torchsweep
