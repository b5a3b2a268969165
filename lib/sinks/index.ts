export { deliverSecret } from './deliver-secret';
export type { DeliverOptions, DeliveryContext } from './delivery-context';
