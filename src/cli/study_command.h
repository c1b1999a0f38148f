// `switchyard study FILE.toml`: runs a study's matrix (study/).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace switchyard {

struct StudyFlags {
  std::string file;
  std::string out;         // results, JSON Lines; default results/<name>.jsonl
  std::string report_dir;  // render the report here when done
  bool check = false;      // validate the file and list the cells, run nothing
};

void AddStudyFlags(CLI::App& app, StudyFlags& flags);
// Exit codes: 0 every run succeeded; 1 some runs failed (recorded); 2 bad
// study file or flags, or the results could not be written.
int RunStudyCommand(const StudyFlags& flags);

}  // namespace switchyard
