import { describeSafetyScenarios } from './safety-scenarios.ts';

describeSafetyScenarios('in-process memory backends', () => ({}));
