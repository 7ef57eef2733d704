// Splits a wrapper tool's arguments into its own options and the command it runs: options end
// at the first word that is not an option, or after "--" (as with env(1)). Which options take
// a value is read from the Boost.Program_options description, so the two never disagree.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <string>
#include <vector>

namespace ctharness {

struct SplitArgs {
  std::vector<std::string> options;  // the tool's own words (without the program name)
  std::vector<std::string> command;  // the command and its arguments
};

SplitArgs split_at_command(const boost::program_options::options_description& desc,
                           const std::vector<std::string>& args);

}  // namespace ctharness
