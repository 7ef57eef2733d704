// split_at_command: options end at the first non-option word or "--".
#include "ctharness/option_split.hpp"

namespace ctharness {

namespace po = boost::program_options;

namespace {
bool takes_value(const po::options_description& desc, const std::string& key) {
  const po::option_description* option = desc.find_nothrow(key, false, false, false);
  return option != nullptr && option->semantic()->max_tokens() > 0;
}
}  // namespace

SplitArgs split_at_command(const po::options_description& desc,
                           const std::vector<std::string>& args) {
  SplitArgs split;
  std::size_t i = 0;
  while (i < args.size()) {
    const std::string& word = args[i];
    if (word == "--") {
      ++i;
      break;
    }
    if (word.size() < 2 || word[0] != '-') break;  // first non-option word: the command
    split.options.push_back(word);
    ++i;
    bool value_follows = false;
    if (word[1] == '-') {
      // --name or --name=value
      if (word.find('=') == std::string::npos) value_follows = takes_value(desc, word.substr(2));
    } else {
      // -x, -xVALUE, or a cluster of flags like -qn whose last letter may take a value
      for (std::size_t k = 1; k < word.size(); ++k) {
        if (takes_value(desc, std::string("-") + word[k])) {
          value_follows = (k + 1 == word.size());
          break;
        }
      }
    }
    if (value_follows && i < args.size()) split.options.push_back(args[i++]);
  }
  split.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return split;
}

}  // namespace ctharness
