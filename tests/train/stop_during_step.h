// A sink that asks for a stop during a given step, as Ctrl-C would: the trainer's tests
// and the lane tests interrupt runs with it.
#pragma once

#include <csignal>
#include <cstdint>

#include "base/interrupt.h"
#include "results/metric_sink.h"

namespace torchsweep::testing {

/// Requests SIGINT's stop at step `at`'s progress report.
class StopDuringStep : public MemorySink {
 public:
  explicit StopDuringStep(int64_t at) : at_(at) {}
  void progress(const Progress& p) override {
    if (p.step == at_) request_interrupt(SIGINT);
  }

 private:
  int64_t at_;
};

}  // namespace torchsweep::testing
