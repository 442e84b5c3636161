//
// herd/executor_stats.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_EXECUTOR_STATS_HPP
#define HERD_EXECUTOR_STATS_HPP

#include <cstddef>

namespace herd {

/// A snapshot of an executor's task counters.
/**
 * Every accepted task is counted once in `submitted` and ends in exactly one
 * of `completed`, `failed` or `cancelled`; `queued` and `running` are the
 * tasks between. While tasks are in flight the fields are read one after
 * another, so a snapshot may be off by the tasks that moved meanwhile; once
 * the executor is idle it is exact. A task is counted finished just after
 * its future settles: a snapshot taken as soon as a future (or a map over
 * the executor) is ready may still count that task as running.
 */
struct executor_stats
{
  std::size_t submitted = 0;
  std::size_t queued = 0;
  std::size_t running = 0;
  std::size_t completed = 0;
  std::size_t failed = 0;
  std::size_t cancelled = 0;
};

} // namespace herd

#endif // HERD_EXECUTOR_STATS_HPP
