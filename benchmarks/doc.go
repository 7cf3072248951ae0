// Package benchmarks holds wecforge's benchmarks and their realistic fixtures: a ~60-line
// Deployment, a Service, a ConfigMap, WECs with ~10 labels and ~10 properties, and rule sets of
// 3, 10 and 100 CustomizationRules; and one reference per peer (KubeStellarRender,
// KarmadaRender, KustomizeRender), each beside the engine restricted to what that peer
// supports (EngineKubeStellar, EngineKarmada, EngineKustomize) and tested to produce its exact
// object. See README.md for the measured numbers and the commands that reproduce them.
package benchmarks
