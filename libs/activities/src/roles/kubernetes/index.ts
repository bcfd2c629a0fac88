export {
  createKubernetesActivities,
  joinSecretNames,
  newBootstrapToken,
  kubeconfigServer,
  DEFAULT_CNI_MANIFESTS,
  type KubernetesDeps,
} from './kubernetes-activities';
export {
  renderInitConfig,
  renderJoinConfig,
  kubeadmApiVersion,
  maskedSha256,
  type InitConfigInput,
  type JoinConfigInput,
} from './render-kubeadm';
