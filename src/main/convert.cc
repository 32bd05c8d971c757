// `gatehouse convert ingress FILE...`: Ingress objects into Gateway API objects on stdout, and
// what could not be converted on stderr (convert/ingress.h).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "convert/ingress.h"
#include "main/commands.h"
#include "model/manifest.h"
#include "model/yaml_writer.h"

namespace gatehouse::main {

int convertIngress(const ConvertFlags& flags) {
  std::vector<convert::IngressSource> sources;
  for (const auto& file : flags.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "convert: %s: cannot read\n", file.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto docs = model::decodeManifests(text.str());
    if (!docs) {
      std::fprintf(stderr, "convert: %s: %s\n", file.c_str(), docs.error().message.c_str());
      return 2;
    }
    for (auto& doc : *docs) sources.push_back({file, std::move(doc)});
  }
  const auto converted = convert::convertIngresses(sources, flags.gateway_class);
  std::printf("# gatehouse convert ingress: %zu objects from %zu Ingress files; not converted: %zu (on stderr)\n",
              converted.objects.size(), flags.files.size(), converted.notes.size());
  for (const auto& object : converted.objects) std::printf("---\n%s", model::toYaml(object, model::YamlStrings::kPlainStrings).c_str());
  for (const auto& note : converted.notes) std::fprintf(stderr, "not converted: %s\n", note.c_str());
  return 0;
}

}  // namespace gatehouse::main
