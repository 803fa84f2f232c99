import { eventBusContract } from '../contract/event-bus.contract.js';
import { BusFixture } from './bus-fixture.js';

const fx = new BusFixture();

eventBusContract('embedded (core over ring + journal)', {
  async open(events = {}) {
    return fx.bus(await fx.tempDir(), events);
  },
  cleanup: () => fx.cleanup(),
});
