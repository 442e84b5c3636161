// The conformance matrix of herd's asynchronous operations (issue 15,
// acceptance 2): every operation listed below x every completion token form
// x {completes later, completes inline (ready before it is initiated)}, and
// x bind_cancellation_slot with each cancellation type its doc comment
// states x {cancelled before it ran, cancelled while it waits}. Each cell
// checks that the handler runs exactly once, never inside the initiating
// call, on its associated executor (the io_context's thread, or the strand
// it is bound to); that the operation's state is allocated with the
// handler's associated allocator; and that nothing is left on the executor
// afterwards (poll() runs out of work).
//
// Rows (one struct each below):
//   sync:       semaphore::async_acquire, semaphore::async_acquire_for,
//               semaphore::async_acquire_permit, event::async_wait,
//               event::async_wait_for, barrier::async_arrive_and_wait,
//               wait_group::async_wait, async_mutex::async_lock,
//               rate_limiter::async_acquire
//   time:       timer::async_wait
//   futures:    future::async_wait, async_gather, async_gather_settled,
//               async_wait (wait.hpp), race, first_success
//   composed:   with_timeout, move_on_after, with_fallback, async_retry,
//               circuit_breaker::async_call, cancel_scope::run, hedge
//   streams:    stream::async_next, stream_sink::async_push,
//               streams::to_vector, streams::for_each (a plain f, and an f
//               that returns an awaitable), streams::reduce
//   pool:       async_executor::async_submit (and so to_thread, which is
//               async_submit on the blocking pool), async_executor::async_map
//   structured: with_task_group (task_handle::async_wait is
//               future::async_wait on the child's future)
//
// Columns: plain callback, use_future, use_awaitable, deferred then
// co_awaited, as_tuple(use_awaitable), experimental::use_promise,
// bind_executor(strand, callback), bind_allocator(counting allocator,
// callback), bind_cancellation_slot(signal, callback).
//
// experimental::use_promise makes its handler from the initiation's
// associated executor: it is checked on the rows whose operation has an I/O
// executor (the primitive's, the timer's, the stream's, the breaker's). The
// future, group and other composed rows have none of their own: a plain
// callback and a promise complete on the system executor there (Asio's rule
// for an operation without an executor), which the callback column checks;
// the columns that need the io_context bind the callback to it.
//
// The pool rows run on an async_executor that adopts the io_context, so its
// tasks and default handlers run on the harness's thread; a submitted task
// cannot be cancelled once it runs, so they are cancelled before they ran
// only.
//
// stream_sink::async_push with use_awaitable is push(), the channel's own
// send (its column checks that); every other column is herd's push
// operation.
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/promise.hpp>
#include <boost/asio/experimental/use_promise.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace net = boost::asio;
using boost::system::error_code;
using herd::test::clock_fixture;
using herd::test::counting_allocator;

namespace
{

constexpr net::cancellation_type all_types[] = {net::cancellation_type::terminal, net::cancellation_type::partial,
                                                net::cancellation_type::total};

// --- what a handler saw

struct observation
{
  std::atomic<int> calls{0};
  std::atomic<bool> on_executor{true};
  std::atomic<bool> cancelled{false};

  // Counts the call last: a test that waits for the count (a call on
  // another thread) then sees the rest.
  template <class... A>
  void note(bool right_place, const A&... a)
  {
    if (!right_place)
      on_executor = false;
    if constexpr (sizeof...(A) > 0)
      cancelled = says_cancelled(a...);
    ++calls;
  }

  static bool says_cancelled(const error_code& ec, const auto&...) { return ec == net::error::operation_aborted; }
  static bool says_cancelled(const std::exception_ptr& e, const auto&...)
  {
    if (!e)
      return false;
    try
    {
      std::rethrow_exception(e);
    }
    catch (const herd::cancelled_error&)
    {
      return true;
    }
    catch (const boost::system::system_error& s)
    {
      return s.code() == net::error::operation_aborted;
    }
    catch (...)
    {
      return false;
    }
  }
  static bool says_cancelled(const auto&, const auto&...) { return false; }
};

// The inner operation of the composed rows: completes inside its own
// initiation when `now`, else after 1 s on the row's timer; honours every
// cancellation type (async_compose honours terminal only by default).
struct maybe_wait_op
{
  herd::timer* t;
  bool now;
  int step = 0;

  template <class Self>
  void operator()(Self& self, error_code ec = {})
  {
    if (step++ == 0)
    {
      if (now)
        return self.complete(error_code(), 42);
      self.reset_cancellation_state(net::enable_total_cancellation());
      t->expires_after(1s);
      return t->async_wait(std::move(self));
    }
    self.complete(ec, ec ? 0 : 42);
  }
};

template <class CompletionToken>
auto maybe_wait(herd::timer& t, bool now, CompletionToken&& token)
{
  return net::async_compose<CompletionToken, void(error_code, int)>(maybe_wait_op{&t, now}, token, t);
}

// --- the rows. Each has an env (the objects the operation works on),
// ready() (makes the operation complete inside its initiation), finish()
// (makes a pending operation complete) and start(env, token).

struct row_base
{
  // The initiation carries the operation's I/O executor (see promise_token).
  static constexpr bool has_executor = true;
  // The operation waits for something the test controls, so it can be
  // cancelled while it waits (not a submitted task: once it runs it is not
  // interrupted, and this single-threaded harness runs it at the first poll).
  static constexpr bool waits = true;
};

struct semaphore_acquire : row_base
{
  static constexpr const char* name = "semaphore::async_acquire";
  struct env
  {
    explicit env(clock_fixture& f) : s(f.ex, 0) {}
    herd::semaphore s;
  };
  static void ready(env& e, clock_fixture&) { e.s.release(); }
  static void finish(env& e, clock_fixture&) { e.s.release(); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.s.async_acquire(std::forward<T>(t));
  }
};

struct semaphore_acquire_for : semaphore_acquire
{
  static constexpr const char* name = "semaphore::async_acquire_for";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.s.async_acquire_for(5s, std::forward<T>(t));
  }
};

struct semaphore_acquire_permit : semaphore_acquire
{
  static constexpr const char* name = "semaphore::async_acquire_permit";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.s.async_acquire_permit(std::forward<T>(t));
  }
};

struct event_wait : row_base
{
  static constexpr const char* name = "event::async_wait";
  struct env
  {
    explicit env(clock_fixture& f) : ev(f.ex) {}
    herd::event ev;
  };
  static void ready(env& e, clock_fixture&) { e.ev.set(); }
  static void finish(env& e, clock_fixture&) { e.ev.set(); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.ev.async_wait(std::forward<T>(t));
  }
};

struct event_wait_for : event_wait
{
  static constexpr const char* name = "event::async_wait_for";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.ev.async_wait_for(5s, std::forward<T>(t));
  }
};

struct barrier_arrive : row_base
{
  static constexpr const char* name = "barrier::async_arrive_and_wait";
  struct env
  {
    explicit env(clock_fixture& f) : b(f.ex, 2), other(f.ex, 1) {}
    herd::barrier b;
    herd::barrier other; // the inline form: a barrier of one
    bool single = false;
  };
  static void ready(env& e, clock_fixture&) { e.single = true; }
  static void finish(env& e, clock_fixture&) { e.b.async_arrive_and_wait([](error_code, std::size_t) {}); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return (e.single ? e.other : e.b).async_arrive_and_wait(std::forward<T>(t));
  }
};

struct wait_group_wait : row_base
{
  static constexpr const char* name = "wait_group::async_wait";
  struct env
  {
    explicit env(clock_fixture& f) : g(f.ex) { g.add(1); }
    herd::wait_group g;
  };
  static void ready(env& e, clock_fixture&) { e.g.done(); }
  static void finish(env& e, clock_fixture&) { e.g.done(); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.g.async_wait(std::forward<T>(t));
  }
};

struct mutex_lock : row_base
{
  static constexpr const char* name = "async_mutex::async_lock";
  struct env
  {
    explicit env(clock_fixture& f) : m(f.ex) { BOOST_REQUIRE(m.try_lock()); }
    herd::async_mutex m;
  };
  static void ready(env& e, clock_fixture&) { e.m.unlock(); }
  static void finish(env& e, clock_fixture&) { e.m.unlock(); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.m.async_lock(std::forward<T>(t));
  }
};

struct rate_limiter_acquire : row_base
{
  static constexpr const char* name = "rate_limiter::async_acquire";
  struct env
  {
    explicit env(clock_fixture& f) : r(f.ex, 1, 1s, 1)
    {
      BOOST_REQUIRE(r.try_acquire()); // the burst is spent: the next token comes in 1 s
    }
    herd::rate_limiter r;
  };
  static void ready(env&, clock_fixture& f) { f.clock.advance(1s); }
  static void finish(env&, clock_fixture& f) { f.advance(1s); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.r.async_acquire(std::forward<T>(t));
  }
};

struct timer_wait : row_base
{
  static constexpr const char* name = "timer::async_wait";
  struct env
  {
    explicit env(clock_fixture& f) : t(f.ex) { t.expires_after(1s); }
    herd::timer t;
  };
  static void ready(env& e, clock_fixture&) { e.t.expires_after(0s); }
  static void finish(env&, clock_fixture& f) { f.advance(1s); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.t.async_wait(std::forward<T>(t));
  }
};

struct future_wait : row_base
{
  static constexpr bool has_executor = false;
  static constexpr const char* name = "future::async_wait";
  struct env
  {
    explicit env(clock_fixture&) {}
    herd::promise<int> p;
    herd::future<int> f = p.get_future();
  };
  static void ready(env& e, clock_fixture&) { e.p.set_value(1); }
  static void finish(env& e, clock_fixture&) { e.p.set_value(1); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.f.async_wait(std::forward<T>(t));
  }
};

// The rows over two futures.
struct two_futures : row_base
{
  static constexpr bool has_executor = false;
  struct env
  {
    explicit env(clock_fixture&) {}
    herd::promise<int> a, b;
    std::vector<herd::future<int>> fs{a.get_future(), b.get_future()};
  };
  static void ready(env& e, clock_fixture&)
  {
    e.a.set_value(1);
    e.b.set_value(2);
  }
  static void finish(env& e, clock_fixture& f)
  {
    f.poll();
    e.a.set_value(1);
    e.b.set_value(2);
  }
};

struct gather_row : two_futures
{
  static constexpr const char* name = "async_gather";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::async_gather(e.fs, std::forward<T>(t));
  }
};

struct gather_settled_row : two_futures
{
  static constexpr const char* name = "async_gather_settled";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::async_gather_settled(e.fs, std::forward<T>(t));
  }
};

struct wait_row : two_futures
{
  static constexpr const char* name = "async_wait (wait.hpp)";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::async_wait(e.fs, herd::wait_options{}, std::forward<T>(t));
  }
};

struct race_row : two_futures
{
  static constexpr const char* name = "race";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::race(e.fs, std::forward<T>(t));
  }
};

struct first_success_row : two_futures
{
  static constexpr const char* name = "first_success";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::first_success(e.fs, std::forward<T>(t));
  }
};

// The composed rows: over maybe_wait on the row's timer.
struct composed : row_base
{
  static constexpr bool has_executor = false;
  struct env
  {
    explicit env(clock_fixture& f) : t(f.ex), breaker(f.ex) {}
    herd::timer t;
    herd::circuit_breaker breaker;
    herd::cancel_scope scope;
    bool now = false;
    auto op() { return maybe_wait(t, now, net::deferred); }
  };
  static void ready(env& e, clock_fixture&) { e.now = true; }
  static void finish(env&, clock_fixture& f) { f.advance(1s); }
};

struct with_timeout_row : composed
{
  static constexpr const char* name = "with_timeout";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::with_timeout(10s, e.op(), std::forward<T>(t));
  }
};

struct move_on_after_row : composed
{
  static constexpr const char* name = "move_on_after";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::move_on_after(10s, e.op(), std::forward<T>(t));
  }
};

struct with_fallback_row : composed
{
  static constexpr const char* name = "with_fallback";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::with_fallback(e.op(), e.op(), std::forward<T>(t));
  }
};

struct retry_row : composed
{
  static constexpr const char* name = "async_retry";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::async_retry(herd::retry_policy::fixed(2, 1s), [&e] { return e.op(); }, std::forward<T>(t));
  }
};

struct breaker_row : composed
{
  static constexpr const char* name = "circuit_breaker::async_call";
  static constexpr bool has_executor = true; // the breaker's
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.breaker.async_call([&e] { return e.op(); }, std::forward<T>(t));
  }
};

struct scope_row : composed
{
  static constexpr const char* name = "cancel_scope::run";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.scope.run(e.op(), std::forward<T>(t));
  }
};

struct hedge_row : composed
{
  static constexpr const char* name = "hedge";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::hedge([&e] { return e.op(); }, 10s, 1, std::forward<T>(t));
  }
};

// The channel of a stream row outlives the stream's producer, not only the
// stream: a destroyed (or stopped) stream cancels the producer's pending
// receive on the channel when the executor next runs, so the env runs it
// before the channel goes (ASan: a stack-use-after-scope otherwise).
struct channel_env
{
  channel_env(clock_fixture& f, std::size_t capacity) : f_(f), ch(f.ex, capacity) {}
  ~channel_env()
  {
    in = herd::stream<int>();
    f_.poll();
  }
  clock_fixture& f_;
  net::experimental::channel<void(error_code, int)> ch;
  herd::stream<int> in = herd::streams::from_channel(ch);
};

struct next_row : row_base
{
  static constexpr const char* name = "stream::async_next";
  struct env : channel_env
  {
    explicit env(clock_fixture& f) : channel_env(f, 1) {}
  };
  // Inline: the item is already in the stream (the producer forwarded it).
  static void ready(env& e, clock_fixture& f)
  {
    BOOST_REQUIRE(e.ch.try_send(error_code(), 1));
    f.poll();
  }
  static void finish(env& e, clock_fixture&) { BOOST_REQUIRE(e.ch.try_send(error_code(), 1)); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.in.async_next(std::forward<T>(t));
  }
};

// A producer's push into a stream of capacity 1 that holds an item already,
// so that the push waits until the consumer takes one (finish); inline: the
// consumer took it before the push (ready). (The sink is made from the
// stream's node, as streams::generate makes the one its body gets.)
struct push_row : row_base
{
  static constexpr const char* name = "stream_sink::async_push";
  struct env
  {
    explicit env(clock_fixture& f) : node(std::make_shared<herd::detail::channel_node<int>>(f.ex, 1)), sink(node)
    {
      int first = 1;
      BOOST_REQUIRE(sink.try_push(first));
    }
    ~env() { node->stop(); }
    std::shared_ptr<herd::detail::channel_node<int>> node;
    herd::stream_sink<int> sink;
  };
  static void take(env& e)
  {
    herd::detail::stream_item<int> item;
    BOOST_REQUIRE(e.node->try_pull(item));
    BOOST_REQUIRE(item.index() == 2);
  }
  static void ready(env& e, clock_fixture&) { take(e); }
  static void finish(env& e, clock_fixture&) { take(e); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.sink.async_push(2, std::forward<T>(t));
  }
};

// The rows on herd's own pool: an async_executor adopting the io_context,
// so that its tasks (and, by default, its handlers) run on the harness's
// thread. "Inline" has no meaning for them (a task always runs later); they
// are cancelled before they ran only (see row_base::waits). to_thread is
// async_submit on the blocking pool: the async_submit row covers it.
struct pool_rows : row_base
{
  static constexpr bool waits = false;
  struct env
  {
    explicit env(clock_fixture& f) : pool(f.ex) {}
    herd::async_executor pool;
    std::vector<int> in{1, 2, 3};
  };
  static void ready(env&, clock_fixture&) {}
  static void finish(env&, clock_fixture&) {}
};

struct submit_row : pool_rows
{
  static constexpr const char* name = "async_executor::async_submit";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.pool.async_submit([] { return 1; }, std::forward<T>(t));
  }
};

struct map_row : pool_rows
{
  static constexpr const char* name = "async_executor::async_map";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return e.pool.async_map([](int x) { return x; }, e.in, herd::map_options{}, std::forward<T>(t));
  }
};

// with_task_group: the body (the group's first child) waits on the row's
// timer, or returns at once for the inline form. (task_handle::async_wait
// is future::async_wait on the child's future: the future row covers it.)
struct group_row : row_base
{
  static constexpr const char* name = "with_task_group";
  struct env
  {
    explicit env(clock_fixture& f) : ex(f.ex), t(f.ex) { t.expires_after(1s); }
    net::any_io_executor ex;
    herd::timer t;
    bool now = false;
  };
  static net::awaitable<int> body(herd::timer& t, bool now)
  {
    if (!now)
      co_await t.async_wait(net::use_awaitable);
    co_return 1;
  }
  static void ready(env& e, clock_fixture&) { e.now = true; }
  static void finish(env&, clock_fixture& f) { f.advance(1s); }
  template <class T>
  static auto start(env& e, T&& t)
  {
    // Not a coroutine lambda: the state goes to body() as parameters.
    return herd::with_task_group(e.ex, [&e](herd::task_group&) { return body(e.t, e.now); }, std::forward<T>(t));
  }
};

// The sinks: over a stream from a channel that gets one item and the end
// (an eof message: Boost 1.81's close() drops buffered messages). Inline:
// the stream has already ended when the sink starts.
struct sink_rows : row_base
{
  struct env : channel_env
  {
    explicit env(clock_fixture& f) : channel_env(f, 2) {}
  };
  static void send(env& e)
  {
    BOOST_REQUIRE(e.ch.try_send(error_code(), 1));
    BOOST_REQUIRE(e.ch.try_send(error_code(net::error::eof), 0));
  }
  static void ready(env& e, clock_fixture& f)
  {
    send(e);
    f.poll();
  }
  static void finish(env& e, clock_fixture&) { send(e); }
};

struct to_vector_row : sink_rows
{
  static constexpr const char* name = "streams::to_vector";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::streams::to_vector(std::move(e.in), std::forward<T>(t));
  }
};

struct for_each_row : sink_rows
{
  static constexpr const char* name = "streams::for_each";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::streams::for_each(std::move(e.in), [](int) {}, std::forward<T>(t));
  }
};

// f is a coroutine: the operation runs a coroutine of its own (through
// spawn_gated), so the early-cancelled cells check Boost 1.81's co_spawn
// defect too.
net::awaitable<void> ignore_item(int) { co_return; }

struct awaiting_for_each_row : sink_rows
{
  static constexpr const char* name = "streams::for_each (awaitable f)";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::streams::for_each(std::move(e.in), &ignore_item, std::forward<T>(t));
  }
};

struct reduce_row : sink_rows
{
  static constexpr const char* name = "streams::reduce";
  template <class T>
  static auto start(env& e, T&& t)
  {
    return herd::streams::reduce(std::move(e.in), 0, [](int a, int b) { return a + b; }, std::forward<T>(t));
  }
};

// --- the columns

enum class timing
{
  later,
  at_once
};

const char* timing_name(timing w) { return w == timing::later ? "completes later" : "completes inline"; }

// One cell: start(env, fixture, observation) initiates the operation and
// returns what must stay alive until it completes; check(kept) waits for a
// result that is not observed through the observation.
template <class Row, class Start>
void cell(const char* column, timing when, Start start)
{
  BOOST_TEST_CONTEXT(Row::name << " x " << column << ", " << timing_name(when))
  {
    clock_fixture f;
    {
      typename Row::env e(f);
      observation o;
      if (when == timing::at_once)
        Row::ready(e, f);
      auto kept = start(e, f, o);
      if constexpr (decltype(kept)::same_thread)
        BOOST_TEST(o.calls.load() == 0); // never inside the initiating call
      if (when == timing::later)
      {
        f.poll();
        Row::finish(e, f);
      }
      f.poll();
      kept.wait(o);
      BOOST_TEST(o.calls.load() == 1);
      BOOST_TEST(o.on_executor.load());
      BOOST_TEST(!o.cancelled.load());
    }
    if constexpr (decltype(start(std::declval<typename Row::env&>(), f, std::declval<observation&>()))::same_thread)
      f.poll();
    else
    {
      // The handler ran on another thread, which may still be releasing
      // the operation's work: run() returns once it has (and hangs, failing
      // the test by its timeout, if work is left for good).
      f.ctx.restart();
      f.ctx.run();
    }
    BOOST_TEST(f.ctx.stopped()); // nothing left on the executor
  }
}

struct nothing_kept
{
  static constexpr bool same_thread = true;
  void wait(observation&) {}
};

// A callback that checks it runs on the io_context's thread.
template <class Row>
auto callback_on(clock_fixture& f, observation& o)
{
  return [&f, &o](const auto&... a) { o.note(f.ctx.get_executor().running_in_this_thread(), a...); };
}

// The callback of a column that needs one: plain for an operation with an
// I/O executor (its default), bound to the io_context for one without.
template <class Row>
auto ctx_callback(clock_fixture& f, observation& o)
{
  if constexpr (Row::has_executor)
    return callback_on<Row>(f, o);
  else
    return net::bind_executor(f.ctx, callback_on<Row>(f, o));
}

// A call made on another thread (the system executor's).
struct call_elsewhere
{
  static constexpr bool same_thread = false; // may run before start() returns
  void wait(observation& o)
  {
    while (o.calls.load() == 0)
      std::this_thread::yield();
  }
};

// A plain callback: on the operation's I/O executor, or, for an operation
// without one, on the system executor (Asio's default), not on the
// io_context's thread.
template <class Row>
void plain_callback(timing when)
{
  cell<Row>("callback", when,
            [](auto& e, clock_fixture& f, observation& o)
            {
              if constexpr (Row::has_executor)
              {
                Row::start(e, callback_on<Row>(f, o));
                return nothing_kept{};
              }
              else
              {
                Row::start(e, [&f, &o](const auto&... a)
                           { o.note(!f.ctx.get_executor().running_in_this_thread(), a...); });
                return call_elsewhere{};
              }
            });
}

template <class F>
struct kept_future
{
  // Set on the system executor, whose thread may still be releasing the
  // operation's work when the future is ready (a composed operation's work
  // on the io_context): the cell then run()s until it has.
  static constexpr bool same_thread = false;
  F fut;
  void wait(observation& o)
  {
    fut.wait(); // set on the system executor (use_future's associated executor)
    o.note(true);
  }
};

template <class Row>
void future_token(timing when)
{
  cell<Row>("use_future", when,
            [](auto& e, clock_fixture&, observation& o)
            {
              // (Not "not ready yet": use_future's handler runs on the
              // system executor, concurrently with this thread.)
              (void)o;
              auto fut = Row::start(e, net::use_future);
              return kept_future<decltype(fut)>{std::move(fut)};
            });
}

// The coroutine columns: 0 use_awaitable, 1 deferred then co_await, 2 as_tuple(use_awaitable).
template <class Row>
net::awaitable<void> await_row(typename Row::env& e, net::io_context& ctx, observation& o, int how)
{
  if (how == 0)
    co_await Row::start(e, net::use_awaitable);
  else if (how == 1)
  {
    auto op = Row::start(e, net::deferred);
    co_await std::move(op);
  }
  else
    co_await Row::start(e, net::as_tuple(net::use_awaitable));
  o.note(ctx.get_executor().running_in_this_thread());
}

template <class Row>
void coroutine_token(timing when, int how, const char* column)
{
  cell<Row>(column, when,
            [how](auto& e, clock_fixture& f, observation& o)
            {
              net::co_spawn(f.ctx, await_row<Row>(e, f.ctx, o, how),
                            [](std::exception_ptr ep)
                            {
                              if (ep)
                                std::rethrow_exception(ep);
                            });
              return nothing_kept{};
            });
}

template <class P>
struct kept_promise
{
  static constexpr bool same_thread = true;
  P p;
  void wait(observation&) {}
};

template <class Row>
void promise_token(timing when)
{
  cell<Row>("experimental::use_promise", when,
            [](auto& e, clock_fixture& f, observation& o)
            {
              auto p = Row::start(e, net::experimental::use_promise);
              p(callback_on<Row>(f, o));
              return kept_promise<decltype(p)>{std::move(p)};
            });
}

template <class Row>
void strand_token(timing when)
{
  cell<Row>("bind_executor(strand)", when,
            [](auto& e, clock_fixture& f, observation& o)
            {
              auto s = net::make_strand(f.ctx);
              Row::start(e, net::bind_executor(s, [s, &o](const auto&... a) { o.note(s.running_in_this_thread(), a...); }));
              return nothing_kept{};
            });
}

template <class Row>
void allocator_token(timing when)
{
  static std::atomic<int> count{0};
  cell<Row>("bind_allocator", when,
            [](auto& e, clock_fixture& f, observation& o)
            {
              count = 0;
              Row::start(e, net::bind_allocator(counting_allocator<void>(&count), ctx_callback<Row>(f, o)));
              BOOST_TEST(count.load() > 0); // the operation's state
              return nothing_kept{};
            });
}

// Cancelled through the handler's slot, before the context ran (`early`) or
// while the operation waits: the handler runs once, says "cancelled", on its
// executor, and nothing is left.
template <class Row>
void cancelled(net::cancellation_type type, bool early)
{
  BOOST_TEST_CONTEXT(Row::name << " x bind_cancellation_slot, type " << static_cast<int>(type)
                               << (early ? ", cancelled before it ran" : ", cancelled while it waits"))
  {
    clock_fixture f;
    {
      typename Row::env e(f);
      observation o;
      net::cancellation_signal sig;
      Row::start(e, net::bind_cancellation_slot(sig.slot(), ctx_callback<Row>(f, o)));
      if (!early)
        f.poll();
      BOOST_TEST(o.calls.load() == 0);
      sig.emit(type);
      BOOST_TEST(o.calls.load() == 0); // completes through the executor
      f.poll();
      BOOST_TEST(o.calls.load() == 1);
      BOOST_TEST(o.on_executor.load());
      BOOST_TEST(o.cancelled.load());
      BOOST_TEST(!sig.slot().has_handler()); // cleared before the handler ran
    }
    f.poll();
    BOOST_TEST(f.ctx.stopped());
  }
}

template <class Row>
void whole_row()
{
  for (timing when : {timing::later, timing::at_once})
  {
    plain_callback<Row>(when);
    future_token<Row>(when);
    coroutine_token<Row>(when, 0, "use_awaitable");
    coroutine_token<Row>(when, 1, "deferred, co_awaited");
    coroutine_token<Row>(when, 2, "as_tuple(use_awaitable)");
    if constexpr (Row::has_executor)
      promise_token<Row>(when);
    strand_token<Row>(when);
    allocator_token<Row>(when);
  }
  for (auto type : all_types)
    for (bool early : {true, false})
      if (early || Row::waits)
        cancelled<Row>(type, early);
}

} // namespace

BOOST_AUTO_TEST_SUITE(conformance)

BOOST_AUTO_TEST_CASE(sync_primitives, *boost::unit_test::timeout(120))
{
  whole_row<semaphore_acquire>();
  whole_row<semaphore_acquire_for>();
  whole_row<semaphore_acquire_permit>();
  whole_row<event_wait>();
  whole_row<event_wait_for>();
  whole_row<barrier_arrive>();
  whole_row<wait_group_wait>();
  whole_row<mutex_lock>();
  whole_row<rate_limiter_acquire>();
  whole_row<timer_wait>();
}

BOOST_AUTO_TEST_CASE(futures_and_groups, *boost::unit_test::timeout(120))
{
  whole_row<future_wait>();
  whole_row<gather_row>();
  whole_row<gather_settled_row>();
  whole_row<wait_row>();
  whole_row<race_row>();
  whole_row<first_success_row>();
}

BOOST_AUTO_TEST_CASE(composed_operations, *boost::unit_test::timeout(120))
{
  whole_row<with_timeout_row>();
  whole_row<move_on_after_row>();
  whole_row<with_fallback_row>();
  whole_row<retry_row>();
  whole_row<breaker_row>();
  whole_row<scope_row>();
  whole_row<hedge_row>();
}

BOOST_AUTO_TEST_CASE(streams, *boost::unit_test::timeout(120))
{
  whole_row<next_row>();
  whole_row<push_row>();
  whole_row<to_vector_row>();
  whole_row<for_each_row>();
  whole_row<awaiting_for_each_row>();
  whole_row<reduce_row>();
}

BOOST_AUTO_TEST_CASE(pool_and_group_operations, *boost::unit_test::timeout(120))
{
  whole_row<submit_row>();
  whole_row<map_row>();
  whole_row<group_row>();
}

BOOST_AUTO_TEST_SUITE_END()

// Every herd call that takes an executor also takes a herd::async_executor
// (DESIGN.md, "Names added on 2026-12-01", executors everywhere): the pool
// converts to its executor. Each call below is made once with the pool and
// once with pool.get_executor(), and its operation is run to its end. The
// calls: the sync/ primitives, rate_limiter, circuit_breaker, clock_of, timer,
// make_worker, worker_pool, run_sync, with_task_group, streams::from_range,
// streams::generate, async_gather_iter.
namespace {

struct tally
{
  int n = 0;
  int add(int k) { return n += k; }
};

net::awaitable<int> seven() { co_return 7; }

net::awaitable<int> group_body(herd::task_group&) { co_return 5; }

net::awaitable<void> push_one(herd::stream_sink<int>& out) { co_await out.async_push(1, net::use_awaitable); }

template <class Ex>
void every_call_taking_an_executor(Ex& e)
{
  using namespace std::chrono_literals;
  herd::semaphore sem(e, 1);
  sem.async_acquire(net::use_future).get();
  BOOST_TEST(sem.available() == 0u);

  herd::capacity_limiter lim(e, 2);
  lim.async_acquire(net::use_future).get();

  herd::async_mutex mu(e);
  mu.async_lock(net::use_future).get();
  mu.unlock();

  herd::event ev(e);
  ev.set();
  ev.async_wait(net::use_future).get();

  herd::barrier bar(e, 1);
  bar.async_arrive_and_wait(net::use_future).get();

  herd::wait_group wg(e);
  wg.async_wait(net::use_future).get();

  herd::rate_limiter rl(e, 10, 1s, 1);
  rl.async_acquire(net::use_future).get();

  herd::circuit_breaker cb(e);
  BOOST_TEST(cb.async_call([] { return herd::make_ready_future(3).async_wait(); }, net::use_future).get() == 3);

  BOOST_TEST(&herd::clock_of(e) == &herd::system_clock());

  herd::timer t(e);
  t.expires_after(0s);
  t.async_wait(net::use_future).get();

  auto w = herd::make_worker<tally>(e, herd::worker_mode::thread);
  BOOST_TEST(w.call(&tally::add, 2).get() == 2);

  herd::worker_pool<tally> wp(e, 2, herd::worker_mode::thread);
  BOOST_TEST(wp.call(&tally::add, 4).get() == 4);

  BOOST_TEST(herd::run_sync(e, seven()) == 7);

  BOOST_TEST(herd::with_task_group(e, group_body, net::use_future).get() == 5);

  BOOST_TEST(herd::streams::to_vector(herd::streams::from_range(e, std::vector{1, 2}), net::use_future).get() ==
             (std::vector{1, 2}));
  BOOST_TEST(herd::streams::to_vector(herd::streams::generate<int>(e, push_one), net::use_future).get() ==
             (std::vector{1}));

  std::vector<herd::future<int>> fs{herd::make_ready_future(9)};
  auto got = herd::streams::to_vector(herd::async_gather_iter(e, fs), net::use_future).get();
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].second == 9);
}

} // namespace

BOOST_AUTO_TEST_SUITE(executor_arguments)

BOOST_AUTO_TEST_CASE(every_call_that_takes_an_executor_takes_the_async_executor, *boost::unit_test::timeout(120))
{
  herd::async_executor pool(2);
  every_call_taking_an_executor(pool);
  auto ex = pool.get_executor();
  every_call_taking_an_executor(ex);
}

BOOST_AUTO_TEST_SUITE_END()
