#include "runner/console_sink.h"

#include <fmt/format.h>

namespace torchsweep {

ConsoleSink::ConsoleSink(std::ostream& out, std::string label, std::chrono::milliseconds interval)
    : out_(out), label_(std::move(label)), interval_(interval), last_print_(std::chrono::steady_clock::now()) {}

void ConsoleSink::run_started(const RunStarted& info) { device_ = info.device; }

void ConsoleSink::log(int64_t step, const MetricRow& row) {
  for (const auto& [key, value] : row) {
    if (key == "train/loss") {
      last_loss_ = value;
      last_step_ = step;
      have_loss_ = true;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  if (have_loss_ && now - last_print_ >= interval_) {
    out_ << fmt::format("{}  step {}  train/loss {:.6g}\n", label_, last_step_, last_loss_) << std::flush;
    last_print_ = now;
  }
}

void ConsoleSink::run_ended(const RunEnded& outcome) {
  std::string line = fmt::format("{}  {:<8}  {} steps on {}", label_, to_string(outcome.status), outcome.steps,
                                 device_.empty() ? "-" : device_);
  if (have_loss_) line += fmt::format("  train/loss {:.6g}", last_loss_);
  line += fmt::format("  {:.2f} s", outcome.wall_seconds);
  if (!outcome.error.empty()) line += "  (" + outcome.error + ")";
  out_ << line << "\n" << std::flush;
}

}  // namespace torchsweep
