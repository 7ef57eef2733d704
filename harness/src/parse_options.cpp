// parse_options: the shared Boost.Program_options set-up of the CLIs.
#include "ctharness/parse_options.hpp"

#include "ctrecord/errors.hpp"

namespace ctharness {

namespace po = boost::program_options;

po::variables_map parse_options(const std::vector<std::string>& args,
                                const po::options_description& visible,
                                const po::options_description& hidden,
                                const std::string& positional, const std::string& hint) {
  po::options_description extra;
  extra.add_options()(positional.c_str(), po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(visible).add(hidden).add(extra);
  po::positional_options_description positions;
  positions.add(positional.c_str(), -1);
  po::variables_map vm;
  try {
    po::store(
        po::command_line_parser(args)
            .options(all)
            .positional(positions)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ctrecord::UsageError(std::string(e.what()) + " (" + hint + ")");
  }
  return vm;
}

}  // namespace ctharness
