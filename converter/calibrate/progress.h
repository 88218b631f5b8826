// A one-line progress bar on stderr for calibration: redrawn in place on a terminal, one line per
// finished task otherwise (so logs stay readable).
#pragma once

#include <cstddef>
#include <string>

namespace ternrt::calibrate {

class ProgressBar {
 public:
  // `enabled` false: prints nothing.
  explicit ProgressBar(bool enabled);
  ~ProgressBar();
  // Starts a task of `total` steps, e.g. "layer 3/12 conv2".
  void start(const std::string& label, size_t total);
  void update(size_t done);
  void finish(const std::string& note = "");

 private:
  bool enabled_ = false, tty_ = false, open_ = false;
  std::string label_;
  size_t total_ = 0;
  int last_percent_ = -1;
};

}  // namespace ternrt::calibrate
