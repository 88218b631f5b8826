#include "calibrate/progress.h"

#include <unistd.h>

#include <cstdio>

namespace ternrt::calibrate {

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled), tty_(enabled && isatty(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() {
  if (open_) finish();
}

void ProgressBar::start(const std::string& label, size_t total) {
  if (open_) finish();
  label_ = label;
  total_ = total;
  last_percent_ = -1;
  open_ = true;
  update(0);
}

void ProgressBar::update(size_t done) {
  if (!enabled_ || !tty_ || !open_) return;
  const int percent = total_ ? static_cast<int>(100 * done / total_) : 100;
  if (percent == last_percent_) return;  // redraw only when it changes
  last_percent_ = percent;
  constexpr int kWidth = 30;
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < percent * kWidth / 100 ? '#' : '.';
  bar[kWidth] = '\0';
  std::fprintf(stderr, "\rternrt-convert: %s [%s] %zu/%zu", label_.c_str(), bar, done, total_);
  std::fflush(stderr);
}

void ProgressBar::finish(const std::string& note) {
  if (!open_) return;
  if (enabled_ && tty_) update(total_);
  open_ = false;
  if (!enabled_) return;
  if (tty_) {
    std::fprintf(stderr, "%s%s\n", note.empty() ? "" : "  ", note.c_str());
  } else {
    std::fprintf(stderr, "ternrt-convert: %s: %zu samples%s%s\n", label_.c_str(), total_, note.empty() ? "" : ", ",
                 note.c_str());
  }
}

}  // namespace ternrt::calibrate
