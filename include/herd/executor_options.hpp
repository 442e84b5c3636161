//
// herd/executor_options.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_EXECUTOR_OPTIONS_HPP
#define HERD_EXECUTOR_OPTIONS_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/progress.hpp>
#include <herd/retry.hpp>
#include <herd/sync/semaphore.hpp>

#include <cstddef>
#include <optional>

// herd::submit_options and herd::map_options: how async_executor's submit()
// and map(), async_map(), map_iter() run their tasks (herd/async_executor.hpp).

namespace herd
{

/// How submit() runs one task: bounded by a limiter, retried, timed out.
/**
 * @li @c limiter: each attempt first takes a permit (waiting
 * asynchronously: a task waiting for a permit holds no thread) and gives it
 * back when the attempt ends. A herd::capacity_limiter works too.
 * @li @c retry: a failed attempt is retried as the policy says; the backoff
 * waits on a timer of the executor's clock, holding neither a thread nor a
 * permit.
 * @li @c timeout: bounds each attempt. An attempt still running at its
 * deadline is asked to stop (stop_token / coroutine cancellation) and
 * counts as failed with `herd::timeout_error`, which the retry policy may
 * retry; its permit comes back when it really ends.
 */
struct submit_options
{
  semaphore* limiter = nullptr;
  retry_policy retry = {};
  std::optional<duration> timeout = {};
};

/// How map(), async_map() and map_iter() run their items.
/**
 * @li @c limit: the most items in flight at once (0: the pool's width;
 * for map_iter also the most results held, launched but not yet consumed).
 * @li @c retry, @c timeout: per item, as in submit_options.
 * @li @c progress: a progress bar or callback over the items.
 */
struct map_options
{
  std::size_t limit = 0;
  retry_policy retry = {};
  std::optional<duration> timeout = {};
  progress_option progress = {};
};

} // namespace herd

#endif // HERD_EXECUTOR_OPTIONS_HPP
