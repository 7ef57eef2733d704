// ctest-record --keep N: retention of default-named traces in the default trace folder.
#pragma once

#include <string>
#include <vector>

namespace ctharness {

// Whether `name` is a default trace name of `program` (trace_program_name):
// <program>-<YYYYmmddTHHMMSSZ>-<pid>.ctrace, nothing else.
bool is_default_trace_name(const std::string& name, const std::string& program);

// Deletes the oldest default-named traces of `program` in `dir` (regular files only, never a
// symlink or anything of another name) beyond the newest `keep`, oldest by the time in the
// name, then by modification time, then by name. Returns the paths removed; a file that
// cannot be removed is logged as a warning and skipped.
std::vector<std::string> prune_default_traces(const std::string& dir, const std::string& program,
                                              unsigned keep);

}  // namespace ctharness
