//
// herd/impl/executor_impl.ipp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_EXECUTOR_IMPL_IPP
#define HERD_IMPL_EXECUTOR_IMPL_IPP

#include <herd/detail/executor_impl.hpp>
#include <herd/error.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace herd {
namespace detail {

HERD_DECL executor_impl::executor_impl(std::size_t threads)
{
  if (threads == 0)
    throw std::invalid_argument("herd::async_executor: threads must be at least 1 (got 0)");
  owned_ = true;
  ctx_ = std::make_shared<net::io_context>(static_cast<int>(threads));
  work_.emplace(ctx_->get_executor());
  threads_.reserve(threads);
  try
  {
    for (std::size_t i = 0; i < threads; ++i)
      threads_.emplace_back(
          [this]
          {
            current() = this;
            for (;;)
            {
              try
              {
                ctx_->run();
                return;
              }
              catch (const std::exception& e)
              {
                // Only raw handlers posted by users can throw here; tasks
                // catch their own exceptions.
                std::fprintf(stderr, "herd: exception escaped a handler on the pool: %s\n", e.what());
              }
              catch (...)
              {
                std::fprintf(stderr, "herd: unknown exception escaped a handler on the pool\n");
              }
            }
          });
  }
  catch (...)
  {
    join_owned();
    throw;
  }
}

HERD_DECL executor_impl::executor_impl(net::any_io_executor ex) : adopted_(std::move(ex))
{
  if (!adopted_)
    throw std::invalid_argument("herd::async_executor: ex must be a valid executor");
}

HERD_DECL executor_impl::~executor_impl()
{
  if (on_own_thread())
  {
    std::fputs("herd: an async_executor was destroyed by one of its own tasks; this would deadlock\n", stderr);
    std::abort();
  }
  shutdown(true, false);
}

HERD_DECL net::any_io_executor executor_impl::executor() const
{
  if (ctx_)
    return ctx_->get_executor();
  return adopted_;
}

HERD_DECL std::size_t executor_impl::shard_index() noexcept
{
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % shard_count;
  return index;
}

HERD_DECL void executor_impl::add_cancellable(cancellable_task* t) noexcept
{
  bool cancel = false;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    t->prev_ = nullptr;
    t->next_ = cancellable_;
    if (cancellable_)
      cancellable_->prev_ = t;
    cancellable_ = t;
    cancel = cancel_queued_.load(std::memory_order_relaxed);
  }
  // The caller is the running task itself (alive); its stop callbacks are
  // user code and run with no herd lock held.
  if (cancel)
    t->cancel_for_shutdown();
}

HERD_DECL void executor_impl::remove_cancellable(cancellable_task* t) noexcept
{
  std::lock_guard<std::mutex> lk(mutex_);
  if (t->prev_)
    t->prev_->next_ = t->next_;
  else
    cancellable_ = t->next_;
  if (t->next_)
    t->next_->prev_ = t->prev_;
  t->next_ = t->prev_ = nullptr;
}

HERD_DECL void executor_impl::drain() noexcept
{
  // Runs queued tasks until the queue is empty; after a batch it re-posts
  // itself so that other handlers on the pool (coroutines, completions) run.
  constexpr int batch = 64;
  for (int n = 0;; ++n)
  {
    std::shared_ptr<state_base> t;
    {
      std::lock_guard<std::mutex> lk(queue_mutex_);
      if (queue_.empty())
      {
        --drainers_;
        return;
      }
      if (n == batch)
        break;
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    t->run_task();
  }
  try
  {
    net::post(ctx_->get_executor(), drainer{this});
  }
  catch (...)
  {
    // Out of memory: keep draining here rather than strand the queue.
    drain();
  }
}

HERD_DECL void executor_impl::signal_drained() noexcept
{
  std::lock_guard<std::mutex> lk(mutex_);
  drained_ = true;
  drained_cv_.notify_all();
}

HERD_DECL void executor_impl::shutdown(bool wait, bool cancel_futures)
{
  if (wait && on_own_thread())
    throw std::logic_error("herd::async_executor::shutdown(wait = true) called from one of the executor's own "
                           "tasks; it would wait for itself");
  if (wait && on_adopted_thread())
    throw std::logic_error("herd::async_executor::shutdown(wait = true) called on a thread of the adopted "
                           "executor's context; it would wait for the tasks that thread has to run");
  if (cancel_futures)
  {
    // Pinned under the lock, cancelled outside it: a stop callback may call
    // submit or shutdown.
    std::vector<std::pair<cancellable_task*, std::shared_ptr<void>>> running;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      cancel_queued_.store(true, std::memory_order_release);
      for (cancellable_task* t = cancellable_; t; t = t->next_)
        if (auto p = t->pin())
          running.emplace_back(t, std::move(p));
    }
    for (auto& [t, p] : running)
      t->cancel_for_shutdown();
  }
  stopping_.store(true, std::memory_order_seq_cst);
  if (owned_)
  {
    if (wait)
    {
      // Let submits that saw no shutdown finish posting, then join: the
      // threads run every queued task before they leave.
      for (;;)
      {
        std::size_t in_flight = 0;
        for (const auto& sh : shards_)
          in_flight += sh.in_submit.load(std::memory_order_seq_cst);
        if (in_flight == 0)
          break;
        std::this_thread::yield();
      }
      join_owned();
    }
    return;
  }
  // Adopted: the thread that sets the stopping bit while no task is
  // outstanding reports the drain; otherwise the last release() does.
  const std::uint64_t before = outstanding_.fetch_or(stopping, std::memory_order_acq_rel);
  if (!(before & stopping) && (before >> 1) == 0)
    signal_drained();
  if (wait)
    wait_drained();
}

HERD_DECL void executor_impl::wait_drained()
{
  std::unique_lock<std::mutex> lk(mutex_);
  drained_cv_.wait(lk, [this] { return drained_; });
}

HERD_DECL void executor_impl::join_owned()
{
  {
    std::unique_lock<std::mutex> lk(mutex_);
    if (joining_)
    {
      // A concurrent shutdown(true) returns only once the threads are joined.
      drained_cv_.wait(lk, [this] { return joined_; });
      return;
    }
    joining_ = true;
  }
  // Every task has ended; let the threads finish whatever completion handlers
  // are still queued, then leave.
  work_.reset();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  {
    std::lock_guard<std::mutex> lk(mutex_);
    joined_ = true;
  }
  drained_cv_.notify_all();
}

HERD_DECL bool executor_impl::on_adopted_thread() const noexcept
{
  if (owned_ || !adopted_)
    return false;
  using io_ex = net::io_context::executor_type;
  using pool_ex = net::thread_pool::executor_type;
  if (auto* e = adopted_.target<io_ex>())
    return e->running_in_this_thread();
  if (auto* e = adopted_.target<net::strand<io_ex>>())
    return e->get_inner_executor().running_in_this_thread();
  if (auto* e = adopted_.target<pool_ex>())
    return e->running_in_this_thread();
  if (auto* e = adopted_.target<net::strand<pool_ex>>())
    return e->get_inner_executor().running_in_this_thread();
  return false;
}

HERD_DECL executor_stats executor_impl::stats() const noexcept
{
  std::size_t submitted = 0, started = 0, completed = 0, failed = 0, cq = 0, cr = 0;
  for (const auto& s : shards_)
  {
    // Read the later stages first so that a snapshot never shows more tasks
    // leaving a stage than entered it.
    completed += s.completed.load(std::memory_order_relaxed);
    failed += s.failed.load(std::memory_order_relaxed);
    cr += s.cancelled_running.load(std::memory_order_relaxed);
    cq += s.cancelled_queued.load(std::memory_order_relaxed);
  }
  for (const auto& s : shards_)
    started += s.started.load(std::memory_order_relaxed);
  for (const auto& s : shards_)
    submitted += s.submitted.load(std::memory_order_relaxed);

  executor_stats r;
  r.submitted = submitted;
  r.completed = completed;
  r.failed = failed;
  r.cancelled = cq + cr;
  const std::size_t finished_running = completed + failed + cr;
  r.running = started > finished_running ? started - finished_running : 0;
  const std::size_t left_queue = started + cq;
  r.queued = submitted > left_queue ? submitted - left_queue : 0;
  return r;
}

HERD_DECL std::exception_ptr executor_impl::shutdown_exception()
{
  return std::make_exception_ptr(shutdown_error("herd::async_executor: task cancelled by shutdown"));
}

HERD_DECL void executor_impl::throw_shutdown(const char* call)
{
  throw shutdown_error(std::string(call) + ": the executor has been shut down");
}

} // namespace detail
} // namespace herd

#endif // HERD_IMPL_EXECUTOR_IMPL_IPP
