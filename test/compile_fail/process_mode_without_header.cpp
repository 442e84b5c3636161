// Must NOT compile: a type registered by hand (herd::worker_methods
// specialised without HERD_WORKER_METHODS) made into a worker in a
// translation unit that does not include <herd/worker_process.hpp>. ctest
// checks that the compiler says which header is missing (it used to fail only
// at link time, on detail::save_tuple).
#include <herd/worker.hpp>

#include <boost/asio/io_context.hpp>

#include <tuple>

struct service
{
  int registered() { return 1; }
};

template <>
struct herd::worker_methods<service>
{
  static constexpr auto list = std::make_tuple(&service::registered);
};

int main()
{
  boost::asio::io_context ctx;
  auto w = herd::make_worker<service>(ctx.get_executor(), herd::worker_mode::process);
  w.call<&service::registered>();
}
