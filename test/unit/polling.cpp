// Tests for herd/polling.hpp: every schedule, step by step.
#include <herd/polling.hpp>

#include <boost/test/unit_test.hpp>
#include <vector>

using herd::polling_algorithm;

namespace {

std::vector<double> run(polling_algorithm a, const std::vector<bool>& completions)
{
  herd::poller p(a);
  std::vector<double> out;
  for (bool c : completions)
    out.push_back(p.next_interval(c).count());
  return out;
}

void check_close(const std::vector<double>& got, const std::vector<double>& want)
{
  BOOST_TEST_REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    BOOST_TEST(got[i] == want[i], boost::test_tools::tolerance(1e-9));
}

} // namespace

BOOST_AUTO_TEST_SUITE(polling)

BOOST_AUTO_TEST_CASE(fixed_is_always_10ms)
{
  check_close(run(polling_algorithm::fixed, {false, true, false}), {10, 10, 10});
}

BOOST_AUTO_TEST_CASE(adaptive_shrinks_on_completion_and_grows_from_the_third_empty_poll)
{
  check_close(run(polling_algorithm::adaptive, {false, false, false, false, true, false}),
              {10, 10, 13, 16.9, 16.9 * 0.7, 16.9 * 0.7});
  // Bounded below at 0.1 ms and above at 200 ms.
  herd::poller p(polling_algorithm::adaptive);
  double v = 0;
  for (int i = 0; i < 50; ++i)
    v = p.next_interval(true).count();
  BOOST_TEST(v == 0.1, boost::test_tools::tolerance(1e-9));
  for (int i = 0; i < 100; ++i)
    v = p.next_interval(false).count();
  BOOST_TEST(v == 200.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(exponential_doubles_to_2s_and_resets)
{
  std::vector<bool> empties(10, false);
  check_close(run(polling_algorithm::exponential, empties), {10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000});
  check_close(run(polling_algorithm::exponential, {false, false, true, false}), {10, 20, 10, 10});
}

BOOST_AUTO_TEST_CASE(progressive_steps_up_after_five_empty_polls)
{
  std::vector<bool> empties(26, false);
  // The fifth empty poll of each step already sleeps the next step.
  const std::vector<double> want = {0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 5, 5, 5, 5, 5, 500, 500, 500, 500, 500, 500, 500};
  check_close(run(polling_algorithm::progressive, empties), want);
  check_close(run(polling_algorithm::progressive, {false, false, false, false, false, true}), {0.1, 0.1, 0.1, 0.1, 0.5, 0.1});
}

BOOST_AUTO_TEST_SUITE_END()
