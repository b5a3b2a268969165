import { MIN_TERRAFORM_VERSION, terraformVersionProblem } from '../../lib/core/terraform-version';

const said = (v: string) => `Terraform ${v}\non linux_amd64\n`;

describe('terraformVersionProblem', () => {
  test.each([
    ['v1.4.0', 'terraform_data', null],
    ['v1.11.4', 'terraform_data', null],
    ['v2.0.0', 'terraform_data', null],
    [
      'v1.3.9',
      'terraform_data',
      /Terraform 1\.4 or later is needed for resourceType "terraform_data"; "terraform version" said: Terraform v1\.3\.9/,
    ],
    // 0.x used to pass (minor 15 >= 4): refused for either type.
    ['v0.15.5', 'terraform_data', /Terraform 1\.4 or later .*said: Terraform v0\.15\.5/],
    ['v0.15.5', 'null_resource', /Terraform 1\.0 or later is needed for resourceType "null_resource"/],
    ['v0.4.0', 'null_resource', /1\.0 or later/],
    ['v1.0.0', 'null_resource', null],
    ['v1.2.3', 'null_resource', null],
  ] as const)('%s for %s', (version, type, problem) => {
    const got = terraformVersionProblem(said(version), type);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });

  test('output without a version is a problem naming what it said; no Terraform at synth is none', () => {
    expect(terraformVersionProblem('command not understood\n', 'terraform_data')).toMatch(
      /version could not be read: "terraform version" said: command not understood/,
    );
    expect(terraformVersionProblem(null, 'terraform_data')).toBeNull();
  });

  test('every resource type has its minimum, and none accepts 0.x', () => {
    for (const [type, [major]] of Object.entries(MIN_TERRAFORM_VERSION)) {
      expect(major).toBeGreaterThanOrEqual(1);
      expect(terraformVersionProblem(said('v0.99.99'), type as keyof typeof MIN_TERRAFORM_VERSION)).not.toBeNull();
    }
  });
});
