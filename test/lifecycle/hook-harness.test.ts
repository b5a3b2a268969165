import { useEmulator } from '../emulator/support';
import { leakedSecretIndices } from './hook-harness';

const emulator = useEmulator({});

describe('the leak scan every hook run goes through', () => {
  it('finds an issued secret anywhere in the output and reports its index, not its value', async () => {
    const { access_token, refresh_token } = await emulator().signIn('harness@example.com');
    const issued = emulator().issuedSecrets();
    expect(leakedSecretIndices(emulator(), `before ${refresh_token} after`)).toEqual([issued.indexOf(refresh_token!)]);
    expect(leakedSecretIndices(emulator(), `Authorization: Bearer ${access_token}`)).toEqual([issued.indexOf(access_token!)]);
    expect(leakedSecretIndices(emulator(), 'agility-pat: created "ci" (id), delivered to 1 sink(s)')).toEqual([]);
  });
});
