#include "base/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace torchsweep {

namespace {

std::atomic<int> requested{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int signal) {
  int expected = 0;
  if (!requested.compare_exchange_strong(expected, signal)) _exit(128 + signal);  // the second one: now
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and writes carry on; the loop polls the flag
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() { return requested.load(); }

void request_interrupt(int signal) {
  int expected = 0;
  requested.compare_exchange_strong(expected, signal);
}

void clear_interrupt() { requested.store(0); }

int exit_code_for_signal(int signal) { return 128 + signal; }

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

}  // namespace torchsweep
