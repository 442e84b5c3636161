//
// herd/detail/async_base.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef HERD_DETAIL_ASYNC_BASE_HPP
#define HERD_DETAIL_ASYNC_BASE_HPP

#include <herd/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace herd
{
namespace detail
{

// The cancellation types herd operations honour: every wait and composed
// operation is withdrawn or cancelled as a whole, so partial and total
// requests are served as terminal ones (a stronger guarantee than they ask
// for); an operation that honours fewer says so in its own doc comment.
inline constexpr net::cancellation_type any_cancellation =
    net::cancellation_type::terminal | net::cancellation_type::partial | net::cancellation_type::total;

// The allocator herd allocates an operation's state with: the handler's
// associated allocator, rebound to T; Asio's recycling allocator by default.
template <class Handler, class T>
using op_allocator_t = typename std::allocator_traits<
    net::associated_allocator_t<Handler, net::recycling_allocator<void>>>::template rebind_alloc<T>;

template <class T, class Handler>
op_allocator_t<Handler, T> op_allocator(const Handler& h)
{
  return op_allocator_t<Handler, T>(net::get_associated_allocator(h, net::recycling_allocator<void>()));
}

// The state of a shared (reference-counted) operation, allocated with the
// handler's allocator: Op's first constructor argument is the handler.
template <class Op, class Handler, class... Args>
std::shared_ptr<Op> allocate_shared_op(Handler&& h, Args&&... args)
{
  auto alloc = op_allocator<Op>(h);
  return std::allocate_shared<Op>(alloc, std::forward<Handler>(h), std::forward<Args>(args)...);
}

// An operation that is not reference-counted: allocated and constructed
// with its handler's allocator (Op's first constructor argument is the
// handler), and freed the same way (Op derives from async_base).
template <class Op, class Handler, class... Args>
Op* new_op(Handler&& h, Args&&... args)
{
  auto alloc = op_allocator<Op>(h);
  Op* op = std::allocator_traits<decltype(alloc)>::allocate(alloc, 1);
  try
  {
    ::new (static_cast<void*>(op)) Op(std::forward<Handler>(h), std::forward<Args>(args)...);
  }
  catch (...)
  {
    std::allocator_traits<decltype(alloc)>::deallocate(alloc, op, 1);
    throw;
  }
  return op;
}

// (The allocator comes from the one the base kept at construction: by now
// the handler has been moved into its upcall, and a moved-from handler may
// not answer get_allocator(): experimental::use_promise's dereferences its
// moved-out state, which UBSan reported.)
template <class Op>
void delete_op(Op* op) noexcept
{
  op_allocator_t<typename Op::handler_type, Op> alloc(op->get_allocator());
  op->~Op();
  std::allocator_traits<decltype(alloc)>::deallocate(alloc, op, 1);
}

// An executor that does not keep its context running (what herd hands to
// user code, so that an I/O object built from it never keeps a pool alive).
template <class Executor>
net::any_io_executor untracked(const Executor& ex)
{
  return net::prefer(net::any_io_executor(ex), net::execution::outstanding_work.untracked);
}

template <class Op>
class op_owner;

// The one base of herd's asynchronous operations, in the spirit of Beast's
// async_base. It owns
// - the handler;
// - a work guard on the handler's associated executor (fallback: the
//   operation's own executor), held from initiation until the completion runs;
// - the cancellation slot: install_cancellation() assigns a filter that
//   passes on only the types the operation honours. The slot is cleared in
//   the upcall, on the handler's executor, just before the handler runs:
//   a cancellation_slot is not thread-safe, and the caller emits its signal
//   on that executor, so clearing it anywhere else (on the thread that
//   completed the operation) races the emit. A filter can therefore still be
//   called after complete(): what it reaches must stay alive until the
//   upcall (an operation freed at completion hands its ownership to the
//   deliver function, see op_owner) and must find the operation done;
// - completion: complete(args...) posts the handler, with its arguments, to
//   its associated executor, so it never runs inside the initiating function
//   and never inside a herd lock or a noexcept frame; an exception the handler
//   throws leaves run()/poll() as in plain Asio.
// The operation's own state is allocated with op_allocator / allocate_shared_op
// (the handler's associated allocator).
template <class Handler, class Executor = net::any_io_executor>
class async_base
{
  using handler_executor = net::associated_executor_t<Handler, Executor>;
  using work_executor = std::decay_t<decltype(net::prefer(std::declval<const handler_executor&>(),
                                                          net::execution::outstanding_work.tracked))>;

public:
  using handler_type = Handler;
  using executor_type = net::any_io_executor;
  using allocator_type = net::associated_allocator_t<Handler, net::recycling_allocator<void>>;
  using cancellation_slot_type = net::associated_cancellation_slot_t<Handler>;

  // @param fallback The executor used when the handler has none.
  template <class H>
  async_base(H&& h, const Executor& fallback)
      : handler_(std::forward<H>(h)),
        work_(net::prefer(net::get_associated_executor(handler_, fallback), net::execution::outstanding_work.tracked)),
        alloc_(net::get_associated_allocator(handler_, net::recycling_allocator<void>()))
  {
  }

  async_base(const async_base&) = delete;
  async_base& operator=(const async_base&) = delete;

  // The handler's executor, without work tracking (handed to user code).
  executor_type get_executor() const { return untracked(*work_); }

  // The handler's associated allocator, as it was at initiation (valid
  // after the handler has been moved into its upcall).
  allocator_type get_allocator() const noexcept { return alloc_; }

  cancellation_slot_type get_cancellation_slot() const { return net::get_associated_cancellation_slot(handler_); }

  // True while the handler has not been completed.
  bool pending() const noexcept { return work_.has_value(); }

  // Assigns to the handler's slot a filter that calls f(type) for the types
  // in Supported only. f runs in whatever thread emits the signal.
  template <net::cancellation_type Supported = any_cancellation, class F>
  void install_cancellation(F f)
  {
    auto slot = get_cancellation_slot();
    if (slot.is_connected())
      slot.template emplace<filter<Supported, F>>(std::move(f));
  }

  // Completes the handler once, by post to its associated executor.
  template <class... Args>
  void complete(Args&&... args)
  {
    complete_by([args = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)](Handler& h) mutable
                { std::apply([&](auto&... a) { std::move(h)(std::move(a)...); }, args); });
  }

  // Completes the handler once: posts `deliver(handler)` to the handler's
  // associated executor (deliver makes the completion arguments there). The
  // caller may free the operation right after: the posted function owns the
  // handler.
  template <class Deliver>
  void complete_by(Deliver deliver)
  {
    if (!work_)
      return;
    work_executor ex = std::move(*work_);
    work_.reset();
    allocator_type alloc = get_allocator();
    net::post(ex, upcall<Deliver>(std::move(handler_), std::move(deliver), alloc));
  }

  // Completes the handler of an operation made by new_op, which the posted
  // function then owns (the form for an operation whose cancellation filter
  // points at it, so that it must stay allocated until the slot is cleared).
  // The handler stays in the operation until the upcall, which runs on the
  // handler's executor, clears the slot, moves the handler out and calls
  // `deliver(owner, handler)`; deliver must `owner.reset()` (free the
  // operation, as Asio requires) before it invokes the handler. The handler
  // is moved once per completion and the posted function is a few words, which
  // is what a hot wait (a semaphore acquire, a future wait) needs: moving an
  // awaitable_handler through complete_by's upcall cost about 240 instructions
  // per co_await sem.async_acquire (callgrind, a loop of acquire and release).
  template <class Op, class Deliver>
  static void complete_owned(Op* op, Deliver deliver)
  {
    async_base& self = *op;
    if (!self.work_)
      return;
    work_executor ex = std::move(*self.work_);
    self.work_.reset();
    net::post(ex, owned_upcall<Op, Deliver>(op, std::move(deliver), self.alloc_));
  }

  // complete_owned for a handler that just takes `args`: frees the
  // operation, then calls handler(args...).
  template <class Op, class... Args>
  static void complete_owned_with(Op* op, Args... args)
  {
    complete_owned(op,
                   [... a = std::move(args)](op_owner<Op>& owner, Handler& h) mutable
                   {
                     owner.reset();
                     std::move(h)(std::move(a)...);
                   });
  }

  // Clears h's cancellation slot: what an upcall does before the handler
  // runs, and what one destroyed without running does.
  static void clear_slot(Handler& h) noexcept
  {
    auto slot = net::get_associated_cancellation_slot(h);
    if (slot.is_connected())
      slot.clear();
  }

  // Frees an operation made by new_op whose completion will never run (its
  // upcall, or the handler of the inner operation it waits on, destroyed
  // without running): clears the caller's slot first, so that no filter is
  // left pointing at freed memory.
  template <class Op>
  static void abandon(Op* op) noexcept
  {
    clear_slot(op->handler_);
    delete_op(op);
  }

  // The same with the arguments stored in a tuple.
  template <class Tuple>
  void complete_with(Tuple&& t)
  {
    std::apply([this](auto&&... a) { this->complete(std::forward<decltype(a)>(a)...); }, std::forward<Tuple>(t));
  }

  Handler handler_;

protected:
  ~async_base() = default;

private:
  template <net::cancellation_type Supported, class F>
  struct filter
  {
    explicit filter(F f) : f_(std::move(f)) {}
    void operator()(net::cancellation_type type)
    {
      if ((type & Supported) != net::cancellation_type::none)
        f_(type);
    }
    F f_;
  };

  // Runs on the handler's executor: clears the slot (serialised with the
  // caller's emits), then delivers. One that is destroyed without running
  // (its executor's context shut down) clears the slot too, so no filter is
  // left pointing at a freed operation. It carries the handler's allocator
  // itself (allocator_type) rather than through bind_allocator: a binder
  // specialises every associator, which makes net::post wrap it in a
  // work_dispatcher (a second work count and a second dispatch per
  // completion) although it already runs on the handler's executor.
  template <class Deliver>
  struct upcall
  {
    using allocator_type = typename async_base::allocator_type;

    upcall(Handler&& h, Deliver&& d, const allocator_type& a) : h_(std::move(h)), deliver_(std::move(d)), alloc_(a) {}
    upcall(upcall&& other) noexcept(std::is_nothrow_move_constructible_v<Handler> &&
                                    std::is_nothrow_move_constructible_v<Deliver>)
        : h_(std::move(other.h_)), deliver_(std::move(other.deliver_)), alloc_(other.alloc_),
          owns_(std::exchange(other.owns_, false))
    {
    }
    allocator_type get_allocator() const noexcept { return alloc_; }
    upcall& operator=(upcall&&) = delete;
    ~upcall()
    {
      if (owns_)
        async_base::clear_slot(h_);
    }
    void operator()()
    {
      owns_ = false;
      async_base::clear_slot(h_);
      deliver_(h_);
    }
    Handler h_;
    Deliver deliver_;
    allocator_type alloc_;
    bool owns_ = true;
  };

  // complete_owned's posted function: it owns the operation, whose handler
  // it moves out only when it runs; destroyed without running (its
  // executor's context shut down), it clears the slot and frees the operation.
  template <class Op, class Deliver>
  struct owned_upcall
  {
    using allocator_type = typename async_base::allocator_type;

    owned_upcall(Op* op, Deliver&& d, const allocator_type& a) : owner_(op), deliver_(std::move(d)), alloc_(a) {}
    owned_upcall(owned_upcall&&) = default;
    owned_upcall& operator=(owned_upcall&&) = delete;
    allocator_type get_allocator() const noexcept { return alloc_; }
    ~owned_upcall()
    {
      // abandon(), in two steps: owner_ frees the operation after this. (A
      // single abandon(owner_.release()) costs every moved-from upcall two
      // more stores: about 29 instructions per completion, callgrind.)
      if (owner_)
        async_base::clear_slot(owner_->handler_);
    }
    void operator()()
    {
      async_base::clear_slot(owner_->handler_);
      Handler h(std::move(owner_->handler_));
      deliver_(owner_, h);
    }
    op_owner<Op> owner_;
    Deliver deliver_;
    allocator_type alloc_;
  };

  std::optional<work_executor> work_;
  allocator_type alloc_;
};

// An initiation with an associated executor: the lambda f, whose operation
// runs on ex by default. Asio asks an initiation for its executor where no
// handler exists yet (experimental::use_promise makes its handler from it);
// without one, the operation would complete on the system executor.
template <class Executor, class F>
struct initiation_on : F
{
  using executor_type = Executor;
  initiation_on(Executor ex, F f) : F(std::move(f)), ex_(std::move(ex)) {}
  executor_type get_executor() const noexcept { return ex_; }
  Executor ex_;
};

// The same for an initiation made by an object with get_executor(): it asks
// the object only when Asio asks the initiation, so an initiation costs no
// executor copy (a hot wait would otherwise copy, move and destroy an
// any_io_executor inside every co_await). The object must outlive the
// initiation, as `this` in the lambda must anyway.
template <class Owner, class F>
struct initiation_of : F
{
  using executor_type = decltype(std::declval<const Owner&>().get_executor());
  initiation_of(const Owner* owner, F f) : F(std::move(f)), owner_(owner) {}
  executor_type get_executor() const { return owner_->get_executor(); }
  const Owner* owner_;
};

// Owns an operation made by new_op: an operation whose cancellation filter
// points at it hands one to its deliver function, which resets it before
// invoking the handler (the operation's memory is released before the
// upcall, as Asio requires) and, if the upcall is destroyed without running,
// frees it then.
template <class Op>
class op_owner
{
public:
  explicit op_owner(Op* op) noexcept : op_(op) {}
  op_owner(op_owner&& o) noexcept : op_(std::exchange(o.op_, nullptr)) {}
  op_owner& operator=(op_owner&&) = delete;
  ~op_owner() { reset(); }
  Op* operator->() const noexcept { return op_; }
  explicit operator bool() const noexcept { return op_ != nullptr; }
  void reset() noexcept
  {
    if (Op* op = std::exchange(op_, nullptr))
      delete_op(op);
  }

private:
  Op* op_;
};

} // namespace detail
} // namespace herd

#endif // HERD_DETAIL_ASYNC_BASE_HPP
