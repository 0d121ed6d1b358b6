import { describeClusterScenarios } from './support/cluster-scenarios.ts';

describeClusterScenarios('in-process memory bus and store', () => ({}));
