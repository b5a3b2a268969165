export { deliverSecret } from './deliver-secret';
export { deliverToFile } from './file-sink';
export type { DeliverOptions, DeliveryContext } from './delivery-context';
export { withoutCredentials } from './command-sink';
