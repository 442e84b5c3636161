//
// herd/progress.hpp
// ~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_PROGRESS_HPP
#define HERD_PROGRESS_HPP

#include <herd/config.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>

namespace herd {

/// How a progress bar looks and where it goes.
struct progress_options
{
  std::string desc{};             ///< Shown before the count.
  std::string unit = "it";      ///< Unit of the rate ("it/s").
  std::ostream* stream = nullptr; ///< Where to draw; null means stderr.
  /// Redraw in place (a terminal) or print plain periodic lines. Unset:
  /// in place when the output is stderr and stderr is a terminal.
  std::optional<bool> terminal{};
};

/// The signature of a progress callback: items done, total, time since start.
using progress_callback = std::function<void(std::size_t done, std::size_t total, std::chrono::duration<double> elapsed)>;

/// The `progress` field of wait, gather and map options.
/**
 * Converts from `bool` (`true`: a bar on stderr), from progress_options (a
 * customised bar) and from a callable taking `(done, total, elapsed)`,
 * which replaces the bar.
 *
 * The bar shows description, count/total, percent, rate, elapsed time and
 * ETA. On a terminal it is redrawn in place at most 10 times a second;
 * elsewhere it prints a plain line at most once a second. The final state
 * is always drawn (and, on a terminal, ended with a newline).
 *
 * A callback is called by the waiting thread after each batch of
 * completions it observes; when every input has finished, the last call
 * has `done == total`.
 */
class progress_option
{
public:
  /// No progress reporting.
  progress_option() noexcept = default;

  /// A bar on stderr if @c enabled.
  progress_option(bool enabled) : enabled_(enabled) {}

  /// A customised bar.
  progress_option(progress_options options) : enabled_(true), options_(std::move(options)) {}

  /// A callback instead of a bar.
  template <class F,
            std::enable_if_t<std::is_invocable_v<F&, std::size_t, std::size_t, std::chrono::duration<double>> &&
                                 !std::is_same_v<std::decay_t<F>, progress_option>,
                             int> = 0>
  progress_option(F f) : enabled_(true), callback_(std::move(f))
  {
  }

  explicit operator bool() const noexcept { return enabled_; }
  const progress_options& options() const noexcept { return options_; }
  const progress_callback& callback() const noexcept { return callback_; }

private:
  bool enabled_ = false;
  progress_options options_;
  progress_callback callback_;
};

namespace detail {

// Drives one progress report: a callback or a bar.
class progress_reporter
{
public:
  HERD_DECL progress_reporter(const progress_option& option, std::size_t total);
  progress_reporter(const progress_reporter&) = delete;
  progress_reporter& operator=(const progress_reporter&) = delete;

  // Called after each observed batch; draws no more often than allowed.
  HERD_DECL void update(std::size_t done);

  // The last report (always drawn).
  HERD_DECL void finish(std::size_t done);

  bool active() const noexcept { return active_; }

  // Formats one bar line (exposed for tests).
  HERD_DECL static std::string format_bar(const std::string& desc, const std::string& unit, std::size_t done,
                                          std::size_t total, double elapsed_seconds);

private:
  HERD_DECL void draw(std::size_t done, bool final);

  bool active_ = false;
  const progress_option* option_ = nullptr;
  std::size_t total_ = 0;
  std::size_t last_done_ = static_cast<std::size_t>(-1);
  bool terminal_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

// A progress_reporter fed from many threads. Reports are combined: whoever
// finds the relay idle draws the newest count, and goes on while newer counts
// arrived meanwhile; the others only record theirs. So reports are drawn one
// at a time, in increasing order, the final one last, and the user's callback
// never runs under a lock (it may cancel the operation that reports to it).
class progress_relay
{
public:
  progress_relay(const progress_option& option, std::size_t total) : rep_(option, total) {}

  bool active() const noexcept { return rep_.active(); }

  void update(std::size_t done) { report(done, false); }

  // The last report; returns once it is drawn (by this or another thread).
  void finish(std::size_t done) { report(done, true); }

private:
  void report(std::size_t done, bool final)
  {
    std::size_t cur = latest_.load();
    while (cur < done && !latest_.compare_exchange_weak(cur, done))
    {
    }
    if (final)
      final_.store(true);
    for (;;)
    {
      if (busy_.exchange(true))
      {
        // The thread drawing now re-reads the counts after it is done.
        if (!final)
          return;
        busy_.wait(true);
        continue;
      }
      struct release
      {
        std::atomic<bool>& b;
        ~release()
        {
          b.store(false);
          b.notify_all();
        }
      };
      const std::size_t d = latest_.load();
      const bool f = final_.load();
      {
        release guard{busy_}; // also if the user's callback throws
        if (!finished_ && f)
        {
          finished_ = true;
          rep_.finish(d);
        }
        else if (!finished_ && d != reported_)
        {
          reported_ = d;
          rep_.update(d);
        }
      }
      if (final || (latest_.load() == d && final_.load() == f))
        return;
    }
  }

  progress_reporter rep_;
  std::atomic<std::size_t> latest_{0};
  std::atomic<bool> final_{false};
  std::atomic<bool> busy_{false};
  std::size_t reported_ = static_cast<std::size_t>(-1); // guarded by busy_
  bool finished_ = false;                               // guarded by busy_
};

} // namespace detail
} // namespace herd

#if defined(HERD_HEADER_ONLY)
#include <herd/impl/progress.ipp>
#endif

#endif // HERD_PROGRESS_HPP
