// predict.cpp - the model's prediction of one op, cut down to what the
// exported program can see on the kernel.
#include <fmt/format.h>

#include <map>

#include "export/export_c.h"

namespace rmapcheck::exporter {

std::vector<std::string> observable_state(const Snapshot& s) {
  std::vector<std::string> out;
  std::map<SnapId, std::size_t> frame;  // folio id -> number by first appearance
  for (const SnapProc& p : s.procs) {   // by name
    out.push_back(p.name + " process");
    for (const SnapVma& v : p.vmas)
      out.push_back(fmt::format("{} vma [{},{}) {}", p.name, v.start, v.end, vma_perms(v.flags)));
    for (const SnapPte& pte : p.ptes) {
      if (pte.kind == SnapPte::Kind::Zero) {
        out.push_back(fmt::format("{} page {} zero", p.name, pte.page));
        continue;
      }
      auto it = frame.emplace(pte.folio, frame.size() + 1).first;
      out.push_back(fmt::format("{} page {} frame#{}", p.name, pte.page, it->second));
    }
  }
  return out;
}

OpPrediction predict_op(Checker& model, const Op& op, std::optional<CheckFailure>& failure) {
  OpPrediction p;
  failure = model.step(op);
  p.result = model.result(0);
  p.state = observable_state(failure ? model.engine(0).snapshot() : model.state(0));
  return p;
}

}  // namespace rmapcheck::exporter
