//
// herd/impl/future.hpp
// ~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_IMPL_FUTURE_HPP
#define HERD_IMPL_FUTURE_HPP

#include <herd/detail/asio_workarounds.hpp>
#include <herd/detail/async_base.hpp>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/system_executor.hpp>
#include <boost/system/system_error.hpp>

namespace herd {
namespace detail {

template <class T>
wait_value_t<T> wait_value(const std::shared_ptr<shared_state<T>>& s)
{
  const bool ok = s->state() == task_state::completed;
  if constexpr (std::is_same_v<wait_value_t<T>, T>)
    return ok ? s->value() : T();
  else
    return ok ? std::shared_ptr<const T>(s, std::addressof(s->value())) : nullptr;
}

inline std::exception_ptr aborted_exception()
{
  return std::make_exception_ptr(boost::system::system_error(net::error::operation_aborted));
}

// One pending async_wait: parked on the state until it settles, then
// completed on the handler's executor (always by post: the state settles in
// a noexcept frame, and the handler may throw).
template <class T, class Handler>
class future_wait_op : public waiter_node, public async_base<Handler, net::system_executor>
{
  using base = async_base<Handler, net::system_executor>;

public:
  future_wait_op(Handler&& h, std::shared_ptr<shared_state<T>> s)
    : base(std::move(h), net::system_executor()), state_(std::move(s))
  {
    this->complete_ = &on_settled;
  }

  static void start(std::shared_ptr<shared_state<T>> s, Handler&& h)
  {
    future_wait_op* op = new_op<future_wait_op>(std::move(h), std::move(s));
    op->install_cancellation(cancel_handler{op});
    if (!op->state_->add_waiter(op))
      op->settle(false); // posted: never completes inside the initiating call
  }

private:
  struct cancel_handler
  {
    future_wait_op* op_;
    void operator()(net::cancellation_type)
    {
      if (op_->state_->remove_waiter(op_))
        op_->settle(true);
    }
  };


  static void on_settled(waiter_node* n) noexcept { static_cast<future_wait_op*>(n)->settle(false); }

  // Posts the completion, which owns the handler and the op: the op stays
  // allocated until the upcall (its slot filter may run until then and finds
  // it no longer parked), which frees it before invoking the handler.
  void settle(bool aborted) noexcept
  {
    future_wait_op::complete_owned(
        this,
        [aborted](op_owner<future_wait_op>& owner, Handler& handler)
        {
          // The slot is clear by now: no filter reads state_ any more.
          std::shared_ptr<shared_state<T>> s = std::move(owner->state_);
          owner.reset();
          if constexpr (std::is_void_v<T>)
            std::move(handler)(aborted ? aborted_exception() : s->error());
          else if (aborted)
            std::move(handler)(aborted_exception(), wait_value_t<T>());
          else
            std::move(handler)(s->error(), wait_value(s));
        });
  }

  std::shared_ptr<shared_state<T>> state_;
};

class initiate_future_wait
{
public:
  template <class Handler, class T>
  void operator()(Handler&& handler, std::shared_ptr<shared_state<T>> s) const
  {
    using op = future_wait_op<T, std::decay_t<Handler>>;
    std::decay_t<Handler> h(std::forward<Handler>(handler));
    op::start(std::move(s), std::move(h));
  }
};

} // namespace detail

template <class T>
template <class CompletionToken>
auto future<T>::async_wait(CompletionToken&& token) const
{
  checked();
  return net::async_initiate<CompletionToken, wait_signature>(detail::initiate_future_wait(), token, state_);
}

} // namespace herd

#endif // HERD_IMPL_FUTURE_HPP
