// engine_kind.cpp - the names of the lanes (engine.h).
#include "rmapcheck/engine.h"

namespace rmapcheck {

std::string_view engine_kind_name(EngineKind k) {
  switch (k) {
    case EngineKind::Model:
      return "model";
    case EngineKind::Impl:
      return "impl";
    case EngineKind::Kernel:
      return "kernel";
  }
  return "?";
}

}  // namespace rmapcheck
