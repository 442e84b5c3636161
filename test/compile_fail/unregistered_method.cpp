// Must NOT compile: a process-mode worker (any worker of a type that
// registers its methods) calling a method missing from HERD_WORKER_METHODS.
// ctest checks that the compiler rejects it with the registration message.
#include <herd/worker.hpp>
#include <herd/worker_process.hpp>

#include <boost/asio/io_context.hpp>

struct service
{
  int registered() { return 1; }
  int unregistered() { return 2; }
};

HERD_WORKER_METHODS(service, &service::registered);

int main()
{
  boost::asio::io_context ctx;
  auto w = herd::make_worker<service>(ctx.get_executor(), herd::worker_mode::process);
  w.call<&service::registered>();   // fine
  w.call<&service::unregistered>(); // the static_assert fires here
}
