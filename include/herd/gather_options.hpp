//
// herd/gather_options.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_GATHER_OPTIONS_HPP
#define HERD_GATHER_OPTIONS_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/polling.hpp>
#include <herd/progress.hpp>

#include <optional>

// herd::gather_options and herd::failure_policy: how gather, gather_settled,
// gather_iter and their asynchronous forms wait (herd/gather.hpp).

namespace herd
{

/// What gather does with the inputs still pending when it fails or times out.
enum class failure_policy
{
  cancel_pending, ///< Request cancellation of every unfinished input.
  leave_pending   ///< Leave them running.
};

/// Options of gather, gather_settled and gather_iter.
struct gather_options
{
  /// Raise herd::timeout_error if not every input finished in time (for
  /// gather_iter: the whole iteration).
  std::optional<duration> timeout{};
  failure_policy on_failure = failure_policy::cancel_pending;
  progress_option progress = {};
  polling_algorithm polling = polling_algorithm::adaptive;
  /// The clock @c timeout runs on (see wait_options::clock): nullptr picks
  /// the clock of the executor of the first unfinished input, else
  /// herd::system_clock(). The asynchronous forms ignore it: their timeout
  /// runs on the clock of the handler's executor.
  herd::clock* clock = nullptr;
};

} // namespace herd

#endif // HERD_GATHER_OPTIONS_HPP
