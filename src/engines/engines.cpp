// engines.cpp - make_engine(): the one place that knows every engine.
#include "rmapcheck/engine.h"

namespace rmapcheck {

std::unique_ptr<Engine> make_engine(EngineKind kind, const EngineConfig& config) {
  switch (kind) {
    case EngineKind::Model:
      return make_model_engine(config);
    case EngineKind::Impl:
      return make_impl_engine(config);
    case EngineKind::Kernel:
      break;
  }
  throw std::invalid_argument("make_engine: no engine of kind " +
                              std::to_string(static_cast<int>(kind)));
}

}  // namespace rmapcheck
