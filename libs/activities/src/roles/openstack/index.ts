export {
  createOpenStackActivities,
  mergeValues,
  defaultValues,
  OPENSTACK_HELM_REPOSITORY,
  type OpenStackDeps,
} from './openstack-activities';
