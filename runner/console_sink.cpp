#include "runner/console_sink.h"

#include <fmt/format.h>

#include <cmath>

namespace torchsweep {

ConsoleSink::ConsoleSink(std::ostream& out, std::string label, bool interactive,
                         std::chrono::milliseconds plain_interval)
    : out_(out),
      label_(std::move(label)),
      interactive_(interactive),
      plain_interval_(plain_interval),
      last_print_(std::chrono::steady_clock::now()) {}

void ConsoleSink::run_started(const RunStarted& info) {
  device_ = info.device;
  if (info.resumed_at_step > 0)
    out_ << fmt::format("{}  resuming after epoch {} (step {})\n", label_, info.resumed_at_epoch, info.resumed_at_step)
         << std::flush;
}

void ConsoleSink::end_bar() {
  if (bar_open_) out_ << "\n";
  bar_open_ = false;
}

void ConsoleSink::log(int64_t step, const MetricRow& row) {
  std::string epoch_line;
  for (const auto& [key, value] : row) {
    if (key == "train/loss") {
      last_loss_ = value;
      have_loss_ = true;
    }
    if (key == "train/loss_epoch" || key == "train/acc" || key == "test/loss" || key == "test/acc" || key == "lr")
      epoch_line += fmt::format("  {} {:.4g}", key, value);
  }
  if (!epoch_line.empty()) {
    end_bar();
    const std::string of = epochs_ > 0 ? fmt::format("/{}", epochs_) : "";
    out_ << fmt::format("{}  epoch {}{}{}\n", label_, step, of, epoch_line) << std::flush;
  }
}

void ConsoleSink::progress(const Progress& p) {
  epochs_ = p.epochs;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = interactive_ ? std::chrono::milliseconds(100) : plain_interval_;
  const bool last_batch = p.batch == p.batches;
  if (now - last_print_ < interval && !(interactive_ && last_batch)) return;
  last_print_ = now;
  const double remaining = p.samples_per_second > 0 && p.batch > 0
                               ? p.elapsed_seconds / static_cast<double>(p.batch) * static_cast<double>(p.batches - p.batch)
                               : 0.0;
  const std::string accuracy = p.accuracy >= 0 ? fmt::format("  acc {:.4f}", p.accuracy) : "";
  const std::string of = p.epochs > 0 ? fmt::format("/{}", p.epochs) : "";
  if (interactive_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(kWidth * p.batch / std::max<int64_t>(p.batches, 1));
    out_ << fmt::format("\r{}  epoch {}{} [{}{}] {}/{}  loss {:.4f}{}  {:.0f} samples/s  ETA {:.0f}s\x1b[K", label_,
                        p.epoch, of, std::string(static_cast<size_t>(filled), '#'),
                        std::string(static_cast<size_t>(kWidth - filled), '.'), p.batch, p.batches, p.loss, accuracy,
                        p.samples_per_second, remaining)
         << std::flush;
    bar_open_ = true;
  } else {
    out_ << fmt::format("{}  epoch {}{} batch {}/{}  loss {:.4f}{}  {:.0f} samples/s  ETA {:.0f}s\n", label_, p.epoch,
                        of, p.batch, p.batches, p.loss, accuracy, p.samples_per_second, remaining)
         << std::flush;
  }
}

void ConsoleSink::run_ended(const RunEnded& outcome) {
  end_bar();
  std::string line = fmt::format("{}  {:<8}  {} steps on {}", label_, to_string(outcome.status), outcome.steps,
                                 device_.empty() ? "-" : device_);
  if (have_loss_) line += fmt::format("  train/loss {:.6g}", last_loss_);
  line += fmt::format("  {:.2f} s", outcome.wall_seconds);
  if (!outcome.error.empty()) line += "  (" + outcome.error + ")";
  out_ << line << "\n" << std::flush;
}

}  // namespace torchsweep
