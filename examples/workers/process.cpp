// Example: process-mode workers. The object lives in a forked child process,
// so a crash in a method (here a deliberate segfault on a "poison" input)
// fails only that call, with an error naming the signal, and the worker
// starts a new child for the next call. Methods must be registered; their
// arguments and results travel serialized (Boost.Serialization).

#include <herd/herd.hpp>
#include <herd/worker_process.hpp> // HERD_WORKER_METHODS (herd.hpp has it too)

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

class parser
{
public:
  explicit parser(std::string name) : name_(std::move(name)) {}

  // Stands in for a fragile C library: crashes on input it cannot handle.
  std::size_t parse(const std::string& text)
  {
    if (text == "poison")
      std::raise(SIGSEGV);
    ++parsed_;
    return text.size();
  }

  int parsed() const { return parsed_; }

private:
  std::string name_;
  int parsed_ = 0;
};

HERD_WORKER_METHODS(parser, &parser::parse, &parser::parsed);

int main()
{
  herd::async_executor ex(2);
  herd::worker_pool<parser> pool(ex.get_executor(), 2, herd::worker_mode::process, herd::load_balancing::round_robin,
                                 std::string("libfragile"));
  std::vector<std::string> inputs{"alpha", "beta", "poison", "gamma", "delta"};
  std::vector<herd::future<std::size_t>> fs;
  for (const auto& s : inputs)
    fs.push_back(pool.call<&parser::parse>(s));
  int ok = 0, crashed = 0;
  for (std::size_t i = 0; i < fs.size(); ++i)
  {
    try
    {
      std::printf("%-7s -> %zu\n", inputs[i].c_str(), fs[i].get());
      ++ok;
    }
    catch (const herd::worker_crash_error& e)
    {
      std::printf("%-7s -> crashed: %s\n", inputs[i].c_str(), e.what());
      ++crashed;
    }
  }
  // herd's wait strategies take worker futures like any other.
  auto counts = herd::gather(pool.broadcast<&parser::parsed>());
  std::printf("parsed per child now: %d and %d\n", counts[0], counts[1]);
  pool.stop();
  return ok == 4 && crashed == 1 ? 0 : 1;
}
