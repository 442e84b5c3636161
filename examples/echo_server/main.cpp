// Example: an Asio TCP echo server that uses herd for per-connection work.
// Each line a client sends is handed to a herd::async_executor through a
// completion token (net::use_awaitable) and its answer written back in
// order; a herd::semaphore bounds how many lines are being worked on at once
// across all connections. The clients are children of a herd::task_group:
// the demo waits for all of them (a failure would cancel the rest), checks
// every reply, then closes the acceptor and exits 0.

#include <herd/herd.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace
{

// The per-line work: the line reversed, with a checksum (stands in for
// parsing, hashing, compressing...).
std::string work(std::string line)
{
  unsigned sum = 0;
  for (unsigned char c : line)
    sum = sum * 31 + c;
  std::reverse(line.begin(), line.end());
  return line + " #" + std::to_string(sum % 10007);
}

struct server
{
  herd::async_executor& pool;
  herd::semaphore& in_work; // lines being worked on, across connections
  std::atomic<std::size_t> lines{0}, peak{0};
  std::atomic<std::size_t> busy{0};

  net::awaitable<void> connection(tcp::socket socket)
  {
    net::streambuf in;
    for (;;)
    {
      auto [ec, n] = co_await net::async_read_until(socket, in, '\n', net::as_tuple(net::use_awaitable));
      if (ec)
        co_return; // the client closed
      std::string line(net::buffers_begin(in.data()), net::buffers_begin(in.data()) + n - 1);
      in.consume(n);

      herd::semaphore::permit p = co_await in_work.async_acquire_permit(net::use_awaitable);
      const std::size_t now = ++busy;
      std::size_t seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now))
      {
      }
      auto job = [line = std::move(line)]() mutable { return work(std::move(line)); };
      std::string reply = co_await pool.async_submit(std::move(job), net::use_awaitable);
      --busy;
      p.release();
      reply += '\n';
      co_await net::async_write(socket, net::buffer(reply), net::use_awaitable);
      ++lines;
    }
  }

  net::awaitable<void> listen(tcp::acceptor& acceptor)
  {
    for (;;)
    {
      auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
      if (ec)
        co_return; // the acceptor was closed
      net::co_spawn(acceptor.get_executor(), connection(std::move(socket)), net::detached);
    }
  }
};

// One client: sends `count` lines and checks each reply.
net::awaitable<std::size_t> client(tcp::endpoint ep, int id, int count)
{
  tcp::socket s(co_await net::this_coro::executor);
  co_await s.async_connect(ep, net::use_awaitable);
  net::streambuf in;
  std::size_t right = 0;
  for (int i = 0; i < count; ++i)
  {
    const std::string line = "client " + std::to_string(id) + " line " + std::to_string(i);
    const std::string out = line + "\n";
    co_await net::async_write(s, net::buffer(out), net::use_awaitable);
    const std::size_t n = co_await net::async_read_until(s, in, '\n', net::use_awaitable);
    const std::string reply(net::buffers_begin(in.data()), net::buffers_begin(in.data()) + n - 1);
    in.consume(n);
    if (reply != work(line))
      throw std::runtime_error("client " + std::to_string(id) + ": wrong reply \"" + reply + "\"");
    ++right;
  }
  co_return right;
}

} // namespace

int main()
{
  constexpr int clients = 16, lines_each = 50;
  herd::async_executor pool(2);
  net::io_context ioc;
  herd::semaphore in_work(ioc.get_executor(), 4);
  server srv{pool, in_work};
  tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
  const tcp::endpoint ep = acceptor.local_endpoint();
  std::printf("echo server on %s:%u; %d clients send %d lines each\n", ep.address().to_string().c_str(), ep.port(),
              clients, lines_each);
  net::co_spawn(ioc, srv.listen(acceptor), net::detached);

  std::size_t verified = 0;
  std::exception_ptr failure;
  net::co_spawn(
      ioc,
      [&]() -> net::awaitable<void>
      {
        auto ex = co_await net::this_coro::executor;
        verified = co_await herd::with_task_group(
            ex,
            [&](herd::task_group& g) -> net::awaitable<std::size_t>
            {
              std::vector<herd::task_handle<std::size_t>> hs;
              for (int id = 0; id < clients; ++id)
                hs.push_back(g.spawn(client(ep, id, lines_each)));
              std::size_t total = 0;
              for (auto& h : hs)
                total += co_await h.async_wait(net::use_awaitable);
              co_return total;
            },
            net::use_awaitable);
        acceptor.close(); // the demo is over: stop listening
      },
      [&](std::exception_ptr e) { failure = e; });
  ioc.run();

  if (failure)
  {
    try
    {
      std::rethrow_exception(failure);
    }
    catch (const std::exception& e)
    {
      std::printf("failed: %s\n", e.what());
      return 1;
    }
  }
  std::printf("%zu replies verified; the server handled %zu lines, at most %zu in work at once (bound 4)\n", verified,
              srv.lines.load(), srv.peak.load());
  return verified == clients * lines_each && srv.lines == verified && srv.peak <= 4 ? 0 : 1;
}
