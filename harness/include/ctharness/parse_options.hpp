// One way to parse a CLI's words with Boost.Program_options: the visible options, extra
// hidden ones, every remaining word collected under a positional name, no abbreviations
// (a prefix never silently picks an option), and errors as ctrecord::UsageError with a hint.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace ctharness {

// `positional` names a std::vector<std::string> option that receives the non-option words
// (it is added here). `hint` ends the error message, e.g. "see 'ctest-replay --help'".
boost::program_options::variables_map parse_options(
    const std::vector<std::string>& args,
    const boost::program_options::options_description& visible,
    const boost::program_options::options_description& hidden, const std::string& positional,
    const std::string& hint);

}  // namespace ctharness
