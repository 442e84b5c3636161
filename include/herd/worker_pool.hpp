//
// herd/worker_pool.hpp
// ~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_WORKER_POOL_HPP
#define HERD_WORKER_POOL_HPP

// herd::worker_pool: several workers of one type behind one call().

#include <herd/config.hpp>
#include <herd/future.hpp>
#include <herd/worker.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

namespace herd
{

/// How a worker_pool picks the worker for a call.
enum class load_balancing
{
  round_robin,  ///< Each worker in turn.
  least_loaded, ///< The worker with the fewest calls queued or running (the first of equals).
  random        ///< A worker drawn uniformly at random.
};

/// Several workers of one type behind one call(): concurry's worker pool.
/**
 * `worker_pool<T>(ex, n, mode, policy, ctor_args...)` makes n workers
 * (each constructing its own T from copies of @c ctor_args). `call` picks a
 * worker by the load_balancing policy and returns that call's future;
 * `broadcast` calls every worker and returns a future per worker, in worker
 * order; `stop` stops them all. Calls on different workers run
 * concurrently (strand mode: as far as the executor has threads).
 *
 * @throws std::invalid_argument naming `n` if it is 0 (and as make_worker).
 */
template <class T>
class worker_pool
{
public:
  template <class... A>
  worker_pool(const net::any_io_executor& ex, std::size_t n, worker_mode mode,
              load_balancing policy = load_balancing::round_robin, const A&... ctor_args)
      : policy_(policy), rng_(std::random_device{}())
  {
    if (n == 0)
      throw std::invalid_argument("herd::worker_pool: n must be at least 1");
    if (policy != load_balancing::round_robin && policy != load_balancing::least_loaded &&
        policy != load_balancing::random)
      throw std::invalid_argument("herd::worker_pool: policy is not a herd::load_balancing");
    workers_.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      workers_.push_back(make_worker<T>(ex, mode, ctor_args...));
  }

  /// Calls a method on the worker the policy picks.
  template <class M, class... A>
  auto call(M T::*m, A&&... args)
  {
    return workers_[pick()].call(m, std::forward<A>(args)...);
  }

  /// call<&T::method>(args...) on the worker the policy picks (registered types).
  template <auto M, class... A>
  auto call(A&&... args)
  {
    return workers_[pick()].template call<M>(std::forward<A>(args)...);
  }

  /// Calls a method on every worker: a future per worker, in worker order.
  template <class M, class... A>
  auto broadcast(M T::*m, const A&... args)
  {
    return each([&](worker<T>& w) { return w.call(m, args...); });
  }

  /// broadcast for registered types: `pool.broadcast<&T::method>(args...)`.
  template <auto M, class... A>
  auto broadcast(const A&... args)
  {
    return each([&](worker<T>& w) { return w.template call<M>(args...); });
  }

  /// Stops every worker (see worker::stop).
  void stop(bool cancel_pending = false)
  {
    for (auto& w : workers_)
      w.stop(cancel_pending);
  }

  std::size_t size() const noexcept { return workers_.size(); }

  /// Worker i (for its load(), or to call one worker directly).
  worker<T>& operator[](std::size_t i) { return workers_.at(i); }

private:
  // One call per worker, in worker order.
  template <class Call>
  auto each(Call call)
  {
    std::vector<decltype(call(workers_[0]))> out;
    out.reserve(workers_.size());
    for (auto& w : workers_)
      out.push_back(call(w));
    return out;
  }

  std::size_t pick()
  {
    switch (policy_)
    {
    case load_balancing::round_robin:
      return next_.fetch_add(1, std::memory_order_relaxed) % workers_.size();
    case load_balancing::least_loaded:
    {
      std::size_t best = 0, best_load = workers_[0].load();
      for (std::size_t i = 1; i < workers_.size() && best_load > 0; ++i)
        if (std::size_t l = workers_[i].load(); l < best_load)
        {
          best = i;
          best_load = l;
        }
      return best;
    }
    case load_balancing::random:
    {
      std::lock_guard lock(rng_mu_);
      return std::uniform_int_distribution<std::size_t>(0, workers_.size() - 1)(rng_);
    }
    }
    return 0;
  }

  std::vector<worker<T>> workers_;
  load_balancing policy_;
  std::atomic<std::size_t> next_{0};
  std::mutex rng_mu_;
  std::minstd_rand rng_;
};

} // namespace herd

#endif // HERD_WORKER_POOL_HPP
