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
#include <herd/detail/op_traits.hpp>

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

namespace herd
{
namespace detail
{

// The executor a herd composed operation runs its own steps on when its
// handler names none.
inline net::any_io_executor default_op_executor() { return net::system_executor(); }

// The skeleton of herd's composed operations over user operations (retry,
// timeout, fallback, circuit breaker). The first step runs inside the
// initiating function, as parallel_group's do, so the user's operation is
// started (and holds its own context's work) before the initiation returns;
// later steps run on one strand of the handler's associated executor. Every
// step holds mu_, so the first step and the completions it causes never race
// (parallel_group needs its operations on one strand for the same reason in
// Boost 1.81, asio #1348). The caller's cancellation is forwarded to the
// inner operation through signal_. The handler is always posted.
template <class Derived, class Handler, class Values>
class composed_op : public std::enable_shared_from_this<Derived>
{
public:
  explicit composed_op(Handler&& h)
      : handler_(std::move(h)), work_(tracked(net::get_associated_executor(handler_, default_op_executor()))),
        strand_(net::make_strand(work_))
  {
  }

protected:
  // Connects the caller's slot; call once from start().
  void hook_cancellation()
  {
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
    {
      std::weak_ptr<Derived> weak = this->shared_from_this();
      slot.assign(
          [weak, strand = strand_](net::cancellation_type type)
          {
            net::post(strand,
                      [weak, type]
                      {
                        if (auto self = weak.lock())
                        {
                          std::lock_guard lk(self->mu_);
                          if (!self->finished_)
                            self->on_cancel(type);
                        }
                      });
          });
    }
  }

  // A handler for an inner step: runs on the strand with the op alive.
  template <class F>
  auto on_strand(F f)
  {
    return net::bind_executor(strand_,
                              [self = this->shared_from_this(), f = std::move(f)](auto&&... a) mutable
                              {
                                std::lock_guard lk(self->mu_);
                                f(*self, std::forward<decltype(a)>(a)...);
                              });
  }

  // The same, with the inner cancellation slot bound (for the user operation).
  template <class F>
  auto on_strand_cancellable(F f)
  {
    return net::bind_cancellation_slot(signal_.slot(), on_strand(std::move(f)));
  }

  // Completes the caller's handler on its own executor, once.
  void finish(Values v)
  {
    if (finished_)
      return;
    finished_ = true;
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.clear();
    net::post(work_, [h = std::move(handler_), v = std::move(v)]() mutable { invoke_with(h, std::move(v)); });
  }

  // Runs the first step in the initiating function, under the lock.
  template <class F>
  void start_here(F f)
  {
    hook_cancellation();
    std::lock_guard lk(mu_);
    f(static_cast<Derived&>(*this));
  }

  Handler handler_;
  net::any_io_executor work_;
  net::strand<net::any_io_executor> strand_;
  net::cancellation_signal signal_;
  std::mutex mu_;
  bool finished_ = false;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_COMPOSED_HPP
