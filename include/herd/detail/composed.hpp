//
// herd/detail/composed.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_COMPOSED_HPP
#define HERD_DETAIL_COMPOSED_HPP

#include <herd/config.hpp>
#include <herd/detail/async_base.hpp>
#include <herd/detail/op_traits.hpp>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/system_executor.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>

namespace herd
{
namespace detail
{

// The executor a herd composed operation runs its own steps on when its
// handler names none (as parallel_group does).
inline net::any_io_executor default_op_executor() { return net::system_executor(); }

// The skeleton of herd's composed operations over user operations (retry,
// timeout, fallback, circuit breaker, cancel scopes, hedge), on async_base.
//
// The first step runs inside the initiating function, as parallel_group's
// do, so the user's operation is started on the caller's thread (and holds
// its own context's work) before the initiation returns; later steps run on
// one strand of the handler's associated executor. Every step holds mu_, so
// the first step and the completions it causes never race (parallel_group
// needs its operations on one strand for the same reason in Boost 1.81, asio
// #1348). An inner operation that completes inside the step that started it
// (`net::deferred.values(...)`, an async_compose that completes at once)
// finds the step's thread marked and is run as a new step on the strand, so
// it neither deadlocks nor recurses.
//
// The strand is built on the handler's executor without work tracking: it is
// what user code sees as `this_coro::executor`, and an I/O object made from it
// must not keep the context alive. The operation itself keeps it alive
// (async_base's work guard) until its handler has run.
template <class Derived, class Handler, class Values>
class composed_op : public async_base<Handler>, public std::enable_shared_from_this<Derived>
{
public:
  explicit composed_op(Handler&& h, const net::any_io_executor& fallback = default_op_executor())
      : async_base<Handler>(std::move(h), fallback), strand_(net::make_strand(this->get_executor()))
  {
  }

protected:
  // Connects the caller's slot; call once from start().
  void hook_cancellation()
  {
    std::weak_ptr<Derived> weak = this->shared_from_this();
    this->install_cancellation(
        [weak, strand = strand_](net::cancellation_type type)
        {
          net::post(strand,
                    [weak, type]
                    {
                      if (auto self = weak.lock())
                        self->step(
                            [type](Derived& d)
                            {
                              if (d.pending())
                                d.on_cancel(type);
                            });
                    });
        });
  }

  // A handler for an inner step: runs on the strand with the op alive.
  template <class F>
  auto on_strand(F f)
  {
    return net::bind_executor(strand_, step_handler<F>{this->shared_from_this(), std::move(f)});
  }

  // The same, with the inner cancellation slot bound (for the user operation).
  template <class F>
  auto on_strand_cancellable(F f)
  {
    return net::bind_cancellation_slot(signal_.slot(), on_strand(std::move(f)));
  }

  // Completes the caller's handler on its own executor, once.
  void finish(Values v) { this->complete_with(std::move(v)); }

  // Runs the first step in the initiating function.
  template <class F>
  void start_here(F f)
  {
    hook_cancellation();
    step(std::move(f));
  }

  // Runs f(derived) as one step: under mu_, with this thread marked so that
  // an inline completion is deferred to the strand instead of re-locking.
  template <class F>
  void step(F&& f)
  {
    std::lock_guard lk(mu_);
    step_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    struct unmark
    {
      std::atomic<std::thread::id>& t;
      ~unmark() { t.store(std::thread::id(), std::memory_order_relaxed); }
    } guard{step_thread_};
    f(static_cast<Derived&>(*this));
  }

  net::strand<net::any_io_executor> strand_;
  net::cancellation_signal signal_;

private:
  template <class F>
  struct step_handler
  {
    std::shared_ptr<Derived> self_;
    F f_;

    template <class... A>
    void operator()(A&&... a)
    {
      Derived& d = *self_;
      if (d.step_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id())
      {
        // Completed inside the step that started it: run after that step.
        net::post(d.strand_, [self = std::move(self_), f = std::move(f_),
                              args = std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)]() mutable
                  { self->step([&](Derived& s) { std::apply([&](auto&... x) { f(s, std::move(x)...); }, args); }); });
        return;
      }
      d.step([&](Derived& s) { f_(s, std::forward<A>(a)...); });
    }
  };

  std::mutex mu_;
  std::atomic<std::thread::id> step_thread_{};
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_COMPOSED_HPP
