//
// examples/beast/http_offload/client.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//
// A small keep-alive Beast client: the service's calls to its backend, the
// example's demo and the acceptance tests use it.

#ifndef HERD_EXAMPLES_HTTP_OFFLOAD_CLIENT_HPP
#define HERD_EXAMPLES_HTTP_OFFLOAD_CLIENT_HPP

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string>

namespace http_offload
{

/// What a GET came back with; status 0 and @c error set when the exchange failed.
struct reply_seen
{
  unsigned status = 0;
  std::string body;
  bool keep_alive = false;
  boost::system::error_code error;
};

/// One connection that sends GETs one after another (HTTP/1.1 keep-alive).
class client
{
public:
  explicit client(boost::asio::any_io_executor ex) : stream_(std::move(ex)) {}

  boost::asio::awaitable<boost::system::error_code> connect(boost::asio::ip::tcp::endpoint ep)
  {
    auto [ec] = co_await stream_.async_connect(ep, boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return ec;
  }

  /// (g++ 12: pass a named string, not a temporary, inside a co_await.)
  boost::asio::awaitable<reply_seen> get(std::string target)
  {
    namespace http = boost::beast::http;
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    reply_seen r;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    auto [wec, wn] = co_await http::async_write(stream_, req, as_tuple(use_awaitable));
    if (wec)
    {
      r.error = wec;
      co_return r;
    }
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream_, buffer_, res, as_tuple(use_awaitable));
    if (rec)
    {
      r.error = rec;
      co_return r;
    }
    r.status = res.result_int();
    r.body = std::move(res.body());
    r.keep_alive = res.keep_alive();
    co_return r;
  }

  /// Waits for the server to close the connection; true if it did (EOF).
  boost::asio::awaitable<bool> closed_by_server()
  {
    namespace http = boost::beast::http;
    http::response<http::string_body> res;
    auto [ec, n] = co_await http::async_read(stream_, buffer_, res, boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == boost::asio::error::connection_reset;
  }

  boost::beast::tcp_stream& stream() noexcept { return stream_; }

private:
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

} // namespace http_offload

#endif // HERD_EXAMPLES_HTTP_OFFLOAD_CLIENT_HPP
