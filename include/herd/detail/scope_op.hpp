//
// herd/detail/scope_op.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_SCOPE_OP_HPP
#define HERD_DETAIL_SCOPE_OP_HPP

#include <herd/clock.hpp>
#include <herd/config.hpp>
#include <herd/detail/composed.hpp>
#include <herd/detail/op_traits.hpp>
#include <herd/error.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

namespace herd {
namespace detail {

// What a deadline does to the operation's result.
enum class on_deadline
{
  fail,    // with_timeout: a failed result becomes a timeout
  move_on, // move_on_after: the value becomes an empty optional
  cancel   // cancel_scope: the operation's own result, as cancelled
};

// The completion of an operation run in a scope, per mode.
template <class InSig, on_deadline Mode>
struct scope_result
{
  using in = op_signature<InSig>;
  using signature = InSig;
  using values = typename in::values;

  static values map(values v, bool deadline_hit)
  {
    if constexpr (Mode == on_deadline::fail)
      if (deadline_hit && in::failed(v))
        return in::failure(make_error_code(errc::timeout),
                           std::make_exception_ptr(timeout_error("herd::with_timeout: timed out")));
    return v;
  }
};

template <class... T>
struct move_on_value
{
  using type = bool; // the operation has no value: "did it complete"
};

template <class T>
struct move_on_value<T>
{
  using type = std::optional<std::decay_t<T>>;
};

template <class E, class... T>
struct scope_result<void(E, T...), on_deadline::move_on>
{
  static_assert(sizeof...(T) <= 1, "herd::move_on_after: the operation must complete with at most one value");
  using in = op_signature<void(E, T...)>;
  using value_type = typename move_on_value<T...>::type;
  using signature = void(E, value_type);
  using values = std::tuple<std::decay_t<E>, value_type>;

  static values map(typename in::values v, bool deadline_hit)
  {
    values out{};
    if (!in::failed(v))
    {
      if constexpr (sizeof...(T) == 0)
        std::get<1>(out) = true;
      else
        std::get<1>(out).emplace(std::move(std::get<1>(v)));
    }
    else if (!deadline_hit)
      std::get<0>(out) = std::get<0>(v);
    return out;
  }
};

// A cancel_scope's shared state: the operations running in it and whether
// it was cancelled.
class scope_state
{
public:
  void cancel()
  {
    std::vector<std::function<void()>> fs;
    {
      std::lock_guard lk(m_);
      cancelled_ = true;
      fs = cancellers_;
    }
    for (auto& f : fs)
      f();
  }

  bool cancel_called() const
  {
    std::lock_guard lk(m_);
    return cancelled_;
  }

  // Registers f; false (f not kept) if the scope was cancelled already.
  bool add(std::size_t& id, std::function<void()> f)
  {
    std::lock_guard lk(m_);
    if (cancelled_)
      return false;
    id = next_id_++;
    ids_.push_back(id);
    cancellers_.push_back(std::move(f));
    return true;
  }

  void remove(std::size_t id)
  {
    std::lock_guard lk(m_);
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i] == id)
      {
        ids_.erase(ids_.begin() + static_cast<std::ptrdiff_t>(i));
        cancellers_.erase(cancellers_.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
  }

  void mark_cancelled()
  {
    std::lock_guard lk(m_);
    cancelled_ = true;
  }

private:
  mutable std::mutex m_;
  bool cancelled_ = false;
  std::size_t next_id_ = 0;
  std::vector<std::size_t> ids_;
  std::vector<std::function<void()>> cancellers_;
};

// Runs an operation until it completes, its deadline passes, its scope is
// cancelled, or the caller cancels: each of the last three emits a terminal
// cancellation to the operation, which is always awaited.
template <class Op, class Handler, on_deadline Mode>
class scope_op
  : public composed_op<scope_op<Op, Handler, Mode>, Handler,
                       typename scope_result<operation_signature_t<Op>, Mode>::values>
{
  using result = scope_result<operation_signature_t<Op>, Mode>;
  using in = op_signature_of<Op>;
  using base = composed_op<scope_op, Handler, typename result::values>;

public:
  scope_op(Handler&& h, std::optional<duration> d, Op op, std::shared_ptr<scope_state> scope)
    : base(std::move(h)), d_(d), op_(std::move(op)), scope_(std::move(scope)), timer_(this->strand_)
  {
  }

  void start()
  {
    this->start_here([](scope_op& self) { self.launch(); });
  }

  // The caller's cancellation goes to the operation; the deadline stays
  // armed until the operation completes, so an operation that ignores or
  // loses the request is still cancelled again at the deadline.
  void on_cancel(net::cancellation_type type) { this->signal_.emit(type); }

private:
  void launch()
  {
    if (scope_)
    {
      std::weak_ptr<scope_op> weak = this->shared_from_this();
      auto strand = this->strand_;
      const bool open = scope_->add(scope_id_,
                                    [weak, strand]
                                    {
                                      net::post(strand,
                                                [weak]
                                                {
                                                  if (auto self = weak.lock())
                                                    self->step([](scope_op& s) { s.cancel_now(false); });
                                                });
                                    });
      registered_ = open;
      if (!open)
        cancel_pending_ = true;
    }
    if (d_)
    {
      timer_.expires_after(*d_);
      timer_.async_wait(this->on_strand(
          [](scope_op& self, boost::system::error_code ec)
          {
            if (!ec)
              self.cancel_now(true);
          }));
    }
    operation_traits<Op>::start(op_, this->strand_,
                                this->on_strand_cancellable(
                                    [](scope_op& self, auto&&... a)
                                    { self.on_result(typename in::values(std::forward<decltype(a)>(a)...)); }));
    if (cancel_pending_)
      cancel_now(false);
  }

  void cancel_now(bool deadline)
  {
    if (op_done_)
      return;
    if (deadline)
    {
      deadline_hit_ = true;
      if (scope_)
        scope_->mark_cancelled();
    }
    this->signal_.emit(net::cancellation_type::terminal);
  }

  void on_result(typename in::values v)
  {
    op_done_ = true;
    timer_.cancel();
    if (registered_)
      scope_->remove(scope_id_);
    this->finish(result::map(std::move(v), deadline_hit_));
  }

  std::optional<duration> d_;
  Op op_;
  std::shared_ptr<scope_state> scope_;
  herd::timer timer_;
  std::size_t scope_id_ = 0;
  bool registered_ = false;
  bool cancel_pending_ = false;
  bool op_done_ = false;
  bool deadline_hit_ = false;
};

template <on_deadline Mode, class Op, class CompletionToken>
auto initiate_scope(std::optional<duration> d, Op&& op, std::shared_ptr<scope_state> scope, CompletionToken&& token)
{
  using op_type = std::decay_t<Op>;
  using sig = typename scope_result<operation_signature_t<op_type>, Mode>::signature;
  return net::async_initiate<CompletionToken, sig>(
      [](auto handler, std::optional<duration> d, op_type op, std::shared_ptr<scope_state> scope)
      {
        using impl = scope_op<op_type, decltype(handler), Mode>;
        allocate_shared_op<impl>(std::move(handler), d, std::move(op), std::move(scope))->start();
      },
      token, d, std::forward<Op>(op), std::move(scope));
}

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_SCOPE_OP_HPP
