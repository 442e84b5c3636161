//
// herd/impl/progress.ipp
// ~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_PROGRESS_IPP
#define HERD_IMPL_PROGRESS_IPP

#include <herd/progress.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace herd {
namespace detail {

namespace {

inline std::string clock_text(double seconds)
{
  if (!std::isfinite(seconds) || seconds < 0)
    return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}

} // namespace

HERD_DECL progress_reporter::progress_reporter(const progress_option& option, std::size_t total)
  : active_(static_cast<bool>(option)), option_(&option), total_(total), start_(std::chrono::steady_clock::now())
{
  if (!active_ || option.callback())
    return;
  const auto& o = option.options();
  terminal_ = o.terminal ? *o.terminal : (o.stream == nullptr && ::isatty(STDERR_FILENO) != 0);
}

HERD_DECL std::string progress_reporter::format_bar(const std::string& desc, const std::string& unit,
                                                    std::size_t done, std::size_t total, double elapsed)
{
  constexpr int width = 24;
  const double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '-');
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = (rate > 0 && total >= done) ? static_cast<double>(total - done) / rate : -1.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s%s%zu/%zu [%s] %3d%% %.1f %s/s elapsed %s eta %s", desc.c_str(),
                desc.empty() ? "" : ": ", done, total, bar.c_str(), static_cast<int>(frac * 100.0 + 1e-9), rate,
                unit.c_str(), clock_text(elapsed).c_str(), done >= total ? "00:00" : clock_text(eta).c_str());
  return buf;
}

HERD_DECL void progress_reporter::update(std::size_t done)
{
  if (!active_ || finished_ || done == last_done_)
    return;
  if (option_->callback())
  {
    last_done_ = done;
    option_->callback()(done, total_, std::chrono::steady_clock::now() - start_);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto min_gap = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(1000);
  if (drawn_ && now - last_draw_ < min_gap)
    return;
  draw(done, false);
}

HERD_DECL void progress_reporter::finish(std::size_t done)
{
  if (!active_ || finished_)
    return;
  if (option_->callback())
  {
    if (done != last_done_)
      option_->callback()(done, total_, std::chrono::steady_clock::now() - start_);
    last_done_ = done;
  }
  else if (terminal_ || !drawn_ || done != last_done_)
    draw(done, true); // a plain line already showing this state is not repeated
  finished_ = true;
}

HERD_DECL void progress_reporter::draw(std::size_t done, bool final)
{
  const auto now = std::chrono::steady_clock::now();
  last_draw_ = now;
  drawn_ = true;
  last_done_ = done;
  const auto& o = option_->options();
  const std::string line =
      format_bar(o.desc, o.unit, done, total_, std::chrono::duration<double>(now - start_).count());
  std::ostream& out = o.stream ? *o.stream : std::cerr;
  if (terminal_)
    out << '\r' << line << "\x1b[K" << (final ? "\n" : "") << std::flush;
  else
    out << line << '\n' << std::flush;
}

} // namespace detail
} // namespace herd

#endif // HERD_IMPL_PROGRESS_IPP
