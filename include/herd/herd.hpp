//
// herd/herd.hpp
// ~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_HERD_HPP
#define HERD_HERD_HPP

#include <herd/async_executor.hpp>
#include <herd/cancel_scope.hpp>
#include <herd/circuit_breaker.hpp>
#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/error.hpp>
#include <herd/executor_stats.hpp>
#include <herd/future.hpp>
#include <herd/interop.hpp>
#include <herd/gather.hpp>
#include <herd/gather_iter.hpp>
#include <herd/polling.hpp>
#include <herd/progress.hpp>
#include <herd/race.hpp>
#include <herd/rate_limiter.hpp>
#include <herd/retry.hpp>
#include <herd/stream.hpp>
#include <herd/sync/async_mutex.hpp>
#include <herd/sync/barrier.hpp>
#include <herd/sync/capacity_limiter.hpp>
#include <herd/sync/event.hpp>
#include <herd/sync/semaphore.hpp>
#include <herd/sync/wait_group.hpp>
#include <herd/task_group.hpp>
#include <herd/task_state.hpp>
#include <herd/timeout.hpp>
#include <herd/wait.hpp>
#include <herd/worker.hpp>
#include <herd/worker_errors.hpp>
#include <herd/worker_methods.hpp>
#include <herd/worker_mode.hpp>
#include <herd/worker_pool.hpp>
#include <herd/worker_process.hpp>

#endif // HERD_HERD_HPP
