//
// herd/detail/map_workers.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_MAP_WORKERS_HPP
#define HERD_DETAIL_MAP_WORKERS_HPP

#include <herd/config.hpp>
#include <herd/detail/map_run.hpp>
#include <herd/detail/shared_state.hpp>
#include <herd/future.hpp>
#include <herd/progress.hpp>

#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

// map and async_map of a plain callable without retry or timeout: a few worker
// tasks each run items inline (detail/map_driver.hpp has the one-task-per-item
// driver; detail/map_run.hpp what both share). Moved out of map_driver.hpp
// unchanged (issue 16: one concept per header).

namespace herd
{
namespace detail
{

// map and async_map of a plain callable without retry or timeout: a few
// worker tasks (at most `limit`) each take the next item in input order and
// run it inline, so an item costs no task of its own. A worker yields the
// pool every 64 items by re-submitting itself. The first failure in input
// order wins; after a failure no further item starts (the ones other workers
// are running finish and are discarded).
template <class R, class Source, class Fn, class Submit>
class map_workers final : public map_run<R>, public std::enable_shared_from_this<map_workers<R, Source, Fn, Submit>>
{
  HERD_DETAIL_MAP_RUN_MEMBERS;

public:
  using finish_fn = typename map_run<R>::finish_fn;

  map_workers(Source&& source, Fn fn, std::size_t workers, const progress_option& progress, Submit submit)
    : source_(std::move(source)),
      fn_(std::move(fn)),
      workers_(workers),
      submit_(std::move(submit)),
      progress_option_(progress),
      progress_(progress_option_, source_.size_hint())
  {
  }

  void on_finish(finish_fn f) override { finish_ = std::move(f); }

  void start() override
  {
    {
      std::lock_guard lk(m_);
      active_ = workers_;
    }
    for (std::size_t i = 0; i < workers_; ++i)
      launch(true);
  }

  void stop(std::exception_ptr reason) override
  {
    std::lock_guard lk(m_);
    stop_locked(reason);
  }

  std::vector<R> take_results() override
  {
    std::lock_guard lk(m_);
    rethrow_locked();
    std::vector<R> out;
    out.reserve(results_.size());
    for (auto& r : results_)
      out.push_back(std::move(*r));
    return out;
  }

private:
  struct node : waiter_node
  {
    std::shared_ptr<map_workers> self_;
    future<void> f_;
  };

  static void on_node(waiter_node* n) noexcept
  {
    std::unique_ptr<node> owned(static_cast<node*>(n));
    shared_state<void>& s = future_access::mutable_state(owned->f_);
    // A worker that ran completes its future; one that never ran (shut down
    // while queued) takes its share of the work with it: stop the map.
    if (s.state() != task_state::completed)
      owned->self_->worker_ended(s.error());
  }

  // Starts (or continues) one worker as a task of the executor.
  void launch(bool first)
  {
    future<void> f;
    try
    {
      f = submit_([self = this->shared_from_this()] { self->work(); }, first);
    }
    catch (...)
    {
      worker_ended(std::current_exception());
      return;
    }
    auto n = std::make_unique<node>();
    n->complete_ = &on_node;
    n->self_ = this->shared_from_this();
    n->f_ = f;
    node* raw = n.release();
    if (!future_access::mutable_state(f).add_waiter(raw))
      on_node(raw);
  }

  void work()
  {
    for (int i = 0; i < 64; ++i)
    {
      std::optional<typename Source::args_type> args;
      std::size_t index = 0;
      std::optional<R>* slot = nullptr;
      {
        std::lock_guard lk(m_);
        if (stopped_ || exhausted_)
          return worker_done_locked();
        try
        {
          args = source_.next();
        }
        catch (...)
        {
          exhausted_ = true;
          record_failure_locked(next_, std::current_exception());
          return worker_done_locked();
        }
        if (!args)
        {
          exhausted_ = true;
          return worker_done_locked();
        }
        index = next_++;
        slot = &results_.emplace_back();
      }
      try
      {
        R r = std::apply(fn_, std::move(*args));
        std::size_t done = 0;
        {
          std::lock_guard lk(m_);
          *slot = std::move(r);
          done = ++done_;
        }
        if (progress_.active())
          progress_.update(done); // no lock held: the callback may stop the map
      }
      catch (...)
      {
        std::lock_guard lk(m_);
        record_failure_locked(index, std::current_exception());
      }
    }
    launch(false); // give the pool to other work, then go on
  }

  // A worker leaves (under the lock); the last one finishes the map.
  void worker_done_locked()
  {
    if (--active_ != 0)
      return;
    if (progress_.active())
    {
      // The last report, with no lock held, before anyone learns that the
      // map finished (no worker is left to change the state meanwhile).
      const std::size_t done = done_;
      m_.unlock();
      progress_.finish(done);
      m_.lock();
    }
    finished_ = true;
    cv_.notify_all();
    if (finish_)
    {
      // Run the continuation outside the lock, on this thread.
      finish_fn f = std::move(finish_);
      m_.unlock();
      f(*this);
      m_.lock();
    }
  }

  void worker_ended(std::exception_ptr e)
  {
    std::lock_guard lk(m_);
    stop_locked(e);
    worker_done_locked();
  }

  Source source_;
  Fn fn_;
  std::size_t workers_;
  Submit submit_;
  progress_option progress_option_;
  progress_relay progress_;
  finish_fn finish_;

  std::deque<std::optional<R>> results_;
  std::size_t next_ = 0;
  std::size_t done_ = 0;
  std::size_t active_ = 0;
  bool exhausted_ = false;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_MAP_WORKERS_HPP
