/** Where a construct's resources go: shared by every construct of the estate. */
export interface Placement {
  /** Resource group that holds the construct's resources. */
  readonly resourceGroupName: string;
  /** Azure region, such as `westeurope`. */
  readonly location: string;
  /**
   * Tags applied to every taggable resource the construct creates.
   * @default - no tags
   */
  readonly tags?: Record<string, string>;
}
